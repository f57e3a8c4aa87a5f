// 5. N runs waiting on an approval at once (day path): how fast they can be created and asked, what
// the worker, server and Temporal hold while they wait, what replaying one evicted run costs, then the
// time to answer them all by Slack, and whether any answer was lost.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { OUT, PLAYBOOK, type Stack } from '../lib/stack';
import { sleep, summarize } from '../lib/stats';
import { askRuns, clickAll, stillWaiting } from './approval';
import type { Scale } from '../run';

/** Longer than asking and answering 10,000 runs takes here (35 min on 2 cores, 2026-12-02). */
const APPROVAL_TIMEOUT = '6h';

/**
 * The shipped playbook with a longer approval timeout. At the shipped 15 minutes the first runs asked
 * are decided by their timeout before the last are asked, and the answers would measure nothing. Only
 * the timeout differs: the steps, the CEL and the channels are the shipped ones.
 */
export function waitingPlaybook(): string {
  const doc = parseDocument(fs.readFileSync(PLAYBOOK, 'utf8'));
  const steps = doc.get('steps') as YAMLSeq<YAMLMap>;
  const approval = steps.items.find((s) => s.get('id') === 'approval');
  if (!approval?.hasIn(['approval', 'timeout']))
    throw new Error(`${PLAYBOOK}: no step 'approval' with a timeout`);
  approval.setIn(['approval', 'timeout'], APPROVAL_TIMEOUT);
  const file = path.join(OUT, 'waiting-playbook.yaml');
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(file, doc.toString());
  return file;
}

/** How many waiting runs' histories are replayed to price an evicted run (the worker's cache missed). */
const REPLAYED = 50;

/**
 * What replaying one waiting run costs, in this process (one JS thread, like the worker's workflow
 * thread): the run's history is fetched, then replayed on the same bundle the worker runs. That is the
 * work a worker does before it can apply an answer to a run that was evicted from its cache.
 */
async function replayCost(stack: Stack, workflowIds: string[]) {
  const histories = await Promise.all(
    workflowIds.map(async (workflowId) => ({
      workflowId,
      history: await stack.client.workflow.getHandle(workflowId).fetchHistory(),
    })),
  );
  const events = histories.map((h) => h.history.events?.length ?? 0);
  const bundle = { codePath: path.join(OUT, 'build', 'workflow-bundle.js') };
  // One replay worker for all (as a worker's cache miss is one replay on a running worker); the first
  // replay warms the bundle's V8 context and is not counted.
  const ms: number[] = [];
  let failures = 0;
  let last = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    const now = performance.now();
    if (last) ms.push(now - last);
    last = now;
    if (r.error) failures++;
  }
  return { replayed: ms.length, failures, historyEvents: summarize(events), replayMs: summarize(ms) };
}

/** CPU each process spent per run between two `stack.cpuMs()` readings (where a phase's time goes). */
function cpuPerRun(before: Record<string, number>, after: Record<string, number>, runs: number) {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after)) {
    out[name] = Math.round(((ms - (before[name] ?? 0)) / Math.max(1, runs)) * 10) / 10;
  }
  return out;
}

export async function waitingScenario(stack: Stack, scale: Scale) {
  // What the processes hold before any run: what a waiting run costs is measured from here.
  const idle = stack.memory();
  stack.resetPeaks();
  const cpuBeforeAsk = stack.cpuMs();
  // At least 2.5 runs/s before giving up (30 runs/s is the goal; 10,000 were asked at 9.0/s here).
  const asked = await askRuns(stack, 'wait', scale.waitingN, 32, Math.max(300_000, scale.waitingN * 400));
  const askCpuMsPerRun = cpuPerRun(cpuBeforeAsk, stack.cpuMs(), asked.asked);
  console.log(`bench: waiting: CPU ms per run while asking ${JSON.stringify(askCpuMsPerRun)}`);
  await sleep(5000); // settle: what the processes hold while the runs just wait
  const whileWaiting = stack.memory();
  // Printed at once: a long run's first half is worth having even if the second is cut short.
  console.log(`bench: waiting: ${asked.asked} of ${scale.waitingN} asked in ${asked.allAskedMs} ms`);
  console.log(`bench: waiting: memory while waiting ${JSON.stringify(whileWaiting)}`);
  const step = Math.max(1, Math.floor(asked.incidents.length / REPLAYED));
  const sample = (
    await Promise.all(
      asked.incidents
        .filter((_, i) => i % step === 0)
        .slice(0, REPLAYED)
        .map(async (inc) => {
          for await (const w of stack.client.workflow.list({
            query: `WorkflowType = 'playbookRun' AND NightshiftIncidentId = '${inc}'`,
          }))
            return w.workflowId;
          return undefined;
        }),
    )
  ).filter((x): x is string => !!x);
  const evicted = await replayCost(stack, sample);
  console.log(`bench: waiting: evicted-run replay ${JSON.stringify(evicted)}`);
  stack.resetPeaks();
  const cpuBeforeAnswers = stack.cpuMs();
  const answered = await clickAll(stack, asked.incidents, 20);
  const answerCpuMsPerRun = cpuPerRun(cpuBeforeAnswers, stack.cpuMs(), asked.incidents.length);
  const answeredAt = Date.now();
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
  // Lost answers: runs still waiting on their approval although every one was answered (they would be
  // decided by their timeout instead).
  const stillWaitingNow = await stillWaiting(stack);
  return {
    runs: asked.incidents.length,
    rejectedAtIntake: asked.rejected,
    create: {
      postWallMs: asked.postedMs,
      intakePerSecond: Math.round((asked.incidents.length / asked.postedMs) * 1000 * 10) / 10,
      allAskedMs: asked.allAskedMs,
      askedPerSecond: Math.round((asked.asked / asked.allAskedMs) * 1000 * 10) / 10,
      asked: asked.asked,
      cpuMsPerRun: askCpuMsPerRun,
    },
    idle,
    whileWaiting,
    evicted,
    answer: { ...answered, cpuMsPerRun: answerCpuMsPerRun },
    completedAfterAnswers: completed,
    stillWaitingAfterAnswers: stillWaitingNow,
    secondsFromLastClickToCheck: Math.round((Date.now() - answeredAt) / 1000),
    clicksToAllCompletedMs: answered.wallMs + (Date.now() - t0),
    memoryWhileAnswering: stack.memory(),
  };
}
