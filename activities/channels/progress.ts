// Idempotency of channel deliveries (design principle 3): every delivery of an activity is a named step
// in a Progress record that is heartbeated right after the step succeeds. A retried attempt reads the
// last heartbeat (activityInfo().heartbeatDetails) and skips what is already done.
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { Progress } from '../../integrations/progress';

interface ProgressDetails {
  key: string;
  steps: Record<string, unknown>;
}

export function progressFor(key: string): Progress {
  let info: ReturnType<typeof activityInfo> | undefined;
  try {
    info = activityInfo();
  } catch {
    info = undefined; // called outside an activity (unit tests, simulate)
  }
  const steps: Record<string, unknown> = {};
  const last = info?.heartbeatDetails as ProgressDetails | undefined;
  if (last && last.key === key && last.steps) Object.assign(steps, last.steps);
  return {
    attempt: info?.attempt ?? 1,
    get: <T>(step: string) => steps[step] as T | undefined,
    set(step, value) {
      steps[step] = value;
      if (info) heartbeat({ key, steps } satisfies ProgressDetails);
    },
  };
}
