// Test-only workflows: one Defender step the way the interpreter runs it (submit, then poll to a final
// state with the exported activity options), reporting failures as data for assertions.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { DefenderActivities, DefenderSubmitRequest, DefenderSubmitResult } from '../../../core/effects';
import { FINAL_MACHINE_ACTION_STATES } from '../../../core/effects';
import { defenderActivityOptions, isPendingTimeout } from '../../../workflows/activity-options';

export { defenderAlertPoller } from '../../../workflows/defender-intake';
export { deviceRelease } from '../../../workflows/device-release';

export interface StepOutcome {
  submit?: DefenderSubmitResult;
  final?: string;
  error?: { type?: string; message?: string };
}

export async function defenderStep(input: {
  req: DefenderSubmitRequest;
  stepTimeoutMs: number;
  taskQueue: string;
}): Promise<StepOutcome> {
  const opts = defenderActivityOptions(input.stepTimeoutMs, input.taskQueue);
  const { defenderSubmit } = proxyActivities<DefenderActivities>(opts.submit);
  const { defenderPoll } = proxyActivities<DefenderActivities>(opts.poll);
  let submit: DefenderSubmitResult | undefined;
  try {
    submit = await defenderSubmit(input.req);
    if (!submit.actionId || FINAL_MACHINE_ACTION_STATES.includes(submit.status))
      return { submit, final: submit.status };
    const { status } = await defenderPoll({
      actionId: submit.actionId,
      machineId: input.req.machineId ?? '',
    });
    return { submit, final: status };
  } catch (err) {
    if (err instanceof ActivityFailure) {
      const c = err.cause;
      if (isPendingTimeout(err)) return { submit, error: { type: 'Timeout', message: c?.message } };
      if (c instanceof ApplicationFailure)
        return { submit, error: { type: c.type ?? undefined, message: c.message } };
      return { submit, error: { type: c?.name, message: c?.message } };
    }
    throw err;
  }
}

/** Several steps at once (a per-device fan-out), for rate-limit tests. */
export async function defenderSteps(input: {
  reqs: DefenderSubmitRequest[];
  stepTimeoutMs: number;
  taskQueue: string;
}): Promise<StepOutcome[]> {
  return Promise.all(
    input.reqs.map((req) =>
      defenderStep({ req, stepTimeoutMs: input.stepTimeoutMs, taskQueue: input.taskQueue }),
    ),
  );
}
