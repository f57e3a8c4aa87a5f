// 5. N runs waiting on an approval at once (day path): how fast they can be created and asked, what
// the worker, server and Temporal hold while they wait, then the time to answer them all by Slack.
import type { Stack } from '../lib/stack';
import { sleep } from '../lib/stats';
import { askRuns, clickAll } from './approval';
import type { Scale } from '../run';

export async function waitingScenario(stack: Stack, scale: Scale) {
  stack.resetPeaks();
  const asked = await askRuns(stack, 'wait', scale.waitingN, 32, scale.quick ? 300_000 : 1_200_000);
  await sleep(5000); // settle: what the processes hold while the runs just wait
  const whileWaiting = stack.memory();
  stack.resetPeaks();
  const answered = await clickAll(stack, asked.incidents, 20);
  // Drained: every answered run has isolated its device and completed.
  const t0 = Date.now();
  const deadline = t0 + (scale.quick ? 300_000 : 900_000);
  let completed = 0;
  for (;;) {
    completed = (
      await stack.client.workflow.count(`WorkflowType = 'playbookRun' AND ExecutionStatus = 'Completed'`)
    ).count;
    if (completed >= asked.incidents.length || Date.now() > deadline) break;
    await sleep(1000);
  }
  return {
    runs: asked.incidents.length,
    rejectedAtIntake: asked.rejected,
    create: {
      postWallMs: asked.postedMs,
      intakePerSecond: Math.round((asked.incidents.length / asked.postedMs) * 1000 * 10) / 10,
      allAskedMs: asked.allAskedMs,
      asked: asked.asked,
    },
    whileWaiting,
    answer: answered,
    completedAfterAnswers: completed,
    clicksToAllCompletedMs: answered.wallMs + (Date.now() - t0),
    memoryWhileAnswering: stack.memory(),
  };
}
