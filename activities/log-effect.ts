// One info line per real effect, with a stable shape operators can filter on at 3 a.m.:
//   {"level":30,"effect":"slack.post","run":"<workflow id>","step":"approval","playbook":"…",…ids,"msg":"effect slack.post"}
// Ids only — channel ids, message ts, SIDs, Message-IDs, addresses — never a token, URL credential or
// message text.
//
// Local stand-in: the shared helper of this shape belongs to the logging work of issue 16 item 20
// (H1); when it lands, this module is replaced by it (same name and call signature).
import type { RunRef } from './contracts';

/** pino-compatible subset. */
interface InfoLogger {
  info(obj: object, msg?: string): void;
}

export interface EffectFields {
  /** What happened: `slack.post`, `slack.update`, `teams.post`, `email.send`, `sms.send`, `voice.call`. */
  kind: string;
  /** The run and step the effect belongs to. */
  run: RunRef;
  /** Ids of what was delivered or acted on. */
  [id: string]: unknown;
}

export function logEffect(logger: InfoLogger, fields: EffectFields): void {
  const { kind, run, ...ids } = fields;
  logger.info(
    { effect: kind, run: run.workflowId, step: run.stepId, playbook: run.playbook, ...ids },
    `effect ${kind}`,
  );
}
