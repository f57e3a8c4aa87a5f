// The one way Nightshift logs a real effect — a message delivered, a Defender action taken or adopted, an
// isolation refused by the blast-radius limit: one info line per effect, with a stable message and
// fields, so an operator can follow a run at 3 a.m. (`jq 'select(.effect)'`) and alert on it.
// Documented in docs/deployment.md, "Logs". Importable from activities/ and server/ alike (types only).
import type { RunRef } from '../core/effects';

/** The part of a pino logger this needs (the channel adapters' Logger fits too). */
export interface EffectLogger {
  info(obj: object, msg?: string): void;
}

export interface EffectFields {
  /** What happened, dotted: `slack.approval`, `sms.page`, `email.notify`, `defender.isolate`, `blast_radius.refused`… */
  kind: string;
  /** The run's workflow id and the step that caused the effect. */
  run?: string;
  step?: string;
  /** Logged but not sent: no credentials for that system (dry run). */
  dryRun?: boolean;
  /** Ids of what was acted on or created: `channel`, `target`, `messageId`, `machineId`, `actionId`, `adopted`… */
  [id: string]: string | number | boolean | string[] | undefined;
}

const MAX_VALUE = 300;

function bounded(v: EffectFields[string]): EffectFields[string] {
  if (typeof v === 'string') return v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}…` : v;
  if (Array.isArray(v))
    return v.slice(0, 50).map((x) => (x.length > MAX_VALUE ? `${x.slice(0, MAX_VALUE)}…` : x));
  return v;
}

/**
 * `{"level":30,…,"effect":"defender.isolate","run":"…","step":"isolate","machineId":"…","actionId":"…",
 * "msg":"effect defender.isolate"}`. Ids only: never a message body, a token or a phone number in full.
 */
export function logEffect(logger: EffectLogger, fields: EffectFields): void {
  const { kind, ...ids } = fields;
  const line: Record<string, unknown> = { effect: kind };
  for (const [k, v] of Object.entries(ids)) if (v !== undefined) line[k] = bounded(v);
  logger.info(line, `effect ${kind}`);
}

/** The fields of an effect line that name where it came from. */
export function runFields(run: RunRef): { run: string; step: string; playbook: string } {
  return { run: run.workflowId, step: run.stepId, playbook: run.playbook };
}
