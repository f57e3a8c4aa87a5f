// One info log line per real effect, for operators at 3 a.m.: what was done, to what, for which run.
// A minimal local version with the agreed signature, logEffect(logger, fields); H1 provides the shared
// helper (server/logging), which replaces this module when the branches merge.

/** A pino-style logger: fields first, then the message. */
export interface EffectLogger {
  info(obj: object, msg?: string): void;
}

export interface EffectFields {
  /** What happened: `defender.isolate`, `blast_radius.refused`, … */
  kind: string;
  /** The run (workflow id) and step it belongs to. */
  run?: string;
  step?: string;
  /** Ids of what was acted on (machineId, actionId, alertId, …) and flags such as `adopted`; no secrets. */
  [field: string]: unknown;
}

export function logEffect(logger: EffectLogger, fields: EffectFields): void {
  logger.info({ effect: fields.kind, ...fields }, `effect ${fields.kind}`);
}
