// 4. Approval click → decision applied: a signed Slack click on the real server → the run's `decide`
// Update (validator, then handler) → HTTP 200. The server answers only once the Update has completed,
// so the click's round trip is "decision applied". Runs are asked first (day path); clicks then go one
// at a time, and at concurrency C, while the approved runs carry on (isolate) in the background.
import type { Stack } from '../lib/stack';
import { detection, machine, postDetection } from '../lib/load';
import { approvalIdOf, clickApprove } from '../lib/slack';
import { pool, sleep, summarize } from '../lib/stats';
import type { Scale } from '../run';

export async function askRuns(
  stack: Stack,
  tag: string,
  count: number,
  concurrency: number,
  timeoutMs: number,
) {
  const incidents: string[] = [];
  const t0 = Date.now();
  let rejected = 0;
  await pool(count, concurrency, async (i) => {
    const label = `${tag}-wks-${i}`;
    const incident = `${tag}-inc-${i}`;
    const id = machine(stack, label);
    const p = await postDetection(
      stack,
      detection({ id: `${tag}-det-${i}`, incident, devices: [{ id, name: label }] }),
    );
    if (p.status === 202 && p.body.runs?.[0]?.result === 'started') incidents.push(incident);
    else rejected++;
  });
  const postedMs = Date.now() - t0;
  const deadline = Date.now() + timeoutMs;
  const waiting = () => incidents.filter((inc) => stack.watch.approvalButtons.has(approvalIdOf(inc))).length;
  while (waiting() < incidents.length && Date.now() < deadline) await sleep(250);
  return { incidents, rejected, postedMs, allAskedMs: Date.now() - t0, asked: waiting() };
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

export async function clickAll(stack: Stack, incidents: string[], concurrency: number) {
  const ms: number[] = [];
  let non200 = 0;
  const ephemerals0 = stack.slack.ephemerals.length;
  const t0 = Date.now();
  await pool(incidents.length, concurrency, async (i) => {
    const c = await clickApprove(stack, approvalIdOf(incidents[i]));
    if (c.status === 200) ms.push(c.ms);
    else non200++;
  });
  const wallMs = Date.now() - t0;
  await sleep(500); // refusals are explained by an ephemeral message sent after the 200
  return {
    clicks: incidents.length,
    concurrency,
    wallMs,
    perSecond: Math.round((incidents.length / wallMs) * 1000 * 10) / 10,
    clickToDecision: summarize(ms),
    non200,
    notRecorded: stack.slack.ephemerals.length - ephemerals0,
    // Why, by the first words of the explanation the server sent (e.g. "Nightshift is slow to answer").
    notRecordedWhy: countBy(stack.slack.ephemerals.slice(ephemerals0).map((e) => e.text.split(':')[0])),
  };
}

/** Runs still waiting on an approval: once every run was answered, each is an answer lost. */
export async function stillWaiting(stack: Stack): Promise<number> {
  const query = `WorkflowType = 'playbookRun' AND ExecutionStatus = 'Running' AND NightshiftWaitingForApproval = true`;
  return (await stack.client.workflow.count(query)).count;
}

/**
 * Waits until no run waits on its approval, or `withinMs` passed: answers the server was slow to accept
 * are re-submitted in the background (server/interactions/submit.ts), so they land a little later.
 */
export async function lostAnswers(stack: Stack, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  let left = await stillWaiting(stack);
  while (left > 0 && Date.now() < deadline) {
    await sleep(1000);
    left = await stillWaiting(stack);
  }
  return left;
}

export async function approvalScenario(stack: Stack, scale: Scale) {
  const warm = await askRuns(stack, 'apw', scale.warmup, 5, 60_000);
  await clickAll(stack, warm.incidents, 1);
  const asked = await askRuns(stack, 'apr', scale.approvalsN * 2, 20, 300_000);
  await sleep(2000); // let the asks' activities finish so the first clicks are not measured under them
  stack.resetPeaks();
  const half = Math.floor(asked.incidents.length / 2);
  const sequential = await clickAll(stack, asked.incidents.slice(0, half), 1);
  const concurrent = await clickAll(stack, asked.incidents.slice(half), 10);
  const memory = stack.memory();
  // Every asked run was clicked: any still waiting after the background re-submissions lost its answer.
  const stillWaitingAfterAnswers = await lostAnswers(stack, 120_000);
  return { runsAsked: asked.asked, sequential, concurrent, stillWaitingAfterAnswers, memory };
}
