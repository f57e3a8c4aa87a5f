// 1. Detection → first Defender call on the night path: POST /v1/detections on the real server →
// startOrAttach → playbook run → notify (Slack, Teams) → blast-radius reservation → defenderSubmit,
// whose isolate POST the fake Defender stamps on arrival. Sequential, then at concurrency C.
// The floor (bench/floor-isolation.ts: start + one activity POSTing to the same fake, same worker) is
// measured in the same phases, its runs interleaved with ours, so the ratio compares like with like.
import { Stack } from '../lib/stack';
import { detection, machine, postDetection } from '../lib/load';
import { pool, summarize, type Summary } from '../lib/stats';
import type { Scale } from '../run';
import type { FloorInput } from '../floor-isolation';
import { TASK_QUEUE } from '../../core/queues';
import { meanTimeline, timeline, type TimelineEvent } from '../lib/history';

export interface LatencyPhase {
  concurrency: number;
  detections: number;
  wallMs: number;
  /** Detection POST sent → the fake received the isolate POST. */
  toIsolatePost: Summary;
  /** Detection POST sent → the first Defender call for the device (pending-action lookup). */
  toFirstDefenderCall: Summary;
  /** Detection POST sent → 202 received (intake: describe + signal-with-start). */
  intake202: Summary;
  errors: number;
  /** Floor runs: client start → the fake received their isolate POST. */
  floor: Summary;
  floorErrors: number;
  /** toIsolatePost over floor, at p50 and p99 (the goal: p99 ratio ≤ 1.3). */
  ratio: { p50: number; p99: number };
}

type Samples = { iso: number[]; first: number[]; http: number[]; floor: number[] };

export async function latencyScenario(stack: Stack, scale: Scale, tag: string) {
  let seq = 0;
  let floorSeq = 0;
  // Histories of a sample of runs (every 10th), for the breakdown of where the time goes.
  const traced: Array<{ workflowId: string; sentAt: number }> = [];
  const one = async (samples: Samples, errors: { n: number }) => {
    const n = seq++;
    const label = `${tag}-wks-${n}`;
    const id = machine(stack, label);
    const det = detection({
      id: `${tag}-det-${n}`,
      incident: `${tag}-inc-${n}`,
      devices: [{ id, name: label }],
    });
    const p = await postDetection(stack, det);
    if (p.status !== 202 || p.body.runs?.[0]?.result !== 'started') {
      errors.n++;
      return;
    }
    try {
      const at = await stack.watch.wait(() => stack.watch.isolatePost.get(id), 60_000, `isolate of ${label}`);
      samples.iso.push(at - p.sentAt);
      samples.first.push((stack.watch.firstCall.get(id) ?? at) - p.sentAt);
      samples.http.push(p.doneAt - p.sentAt);
      if (n % 10 === 0) traced.push({ workflowId: p.body.runs[0].workflowId, sentAt: p.sentAt });
    } catch {
      errors.n++;
    }
  };
  const floorOne = async (samples: Samples, errors: { n: number }) => {
    const n = floorSeq++;
    const label = `${tag}-floor-${n}`;
    const id = machine(stack, label);
    const input: FloorInput = { machineId: id, detectionId: `${tag}-floor-det-${n}` };
    const t0 = Date.now();
    try {
      await stack.client.workflow.start('floorIsolation', {
        taskQueue: TASK_QUEUE,
        workflowId: `floor/${tag}/${n}`,
        args: [input],
      });
      const at = await stack.watch.wait(() => stack.watch.isolatePost.get(id), 60_000, `isolate of ${label}`);
      samples.floor.push(at - t0);
    } catch {
      errors.n++;
    }
  };
  const phase = async (count: number, concurrency: number): Promise<LatencyPhase> => {
    const samples: Samples = { iso: [], first: [], http: [], floor: [] };
    const errors = { n: 0 };
    const floorErrors = { n: 0 };
    const t0 = Date.now();
    let wallMs: number;
    if (concurrency === 1) {
      // One at a time, ours and the floor alternating, so drift and the machine's load hit both alike.
      await pool(2 * count, 1, (i) => (i % 2 === 0 ? one(samples, errors) : floorOne(samples, floorErrors)));
      wallMs = Date.now() - t0;
    } else {
      // Mixed, each kind would see half the concurrency: ours at full concurrency, then the floor.
      await pool(count, concurrency, () => one(samples, errors));
      wallMs = Date.now() - t0;
      await pool(count, concurrency, () => floorOne(samples, floorErrors));
    }
    const toIsolatePost = summarize(samples.iso);
    const floor = summarize(samples.floor);
    const r = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return {
      concurrency,
      detections: count,
      wallMs,
      toIsolatePost,
      toFirstDefenderCall: summarize(samples.first),
      intake202: summarize(samples.http),
      errors: errors.n,
      floor,
      floorErrors: floorErrors.n,
      ratio: { p50: r(toIsolatePost.p50, floor.p50), p99: r(toIsolatePost.p99, floor.p99) },
    };
  };
  // Warm-up (JIT, the Defender token, the blast-radius entity, sticky caches): not recorded.
  await phase(scale.warmup, 1);
  stack.resetPeaks();
  traced.length = 0;
  const sequential = await phase(scale.latencyN, 1);
  const breakdownSequential = await breakdown(traced.splice(0));
  const concurrent = await phase(scale.latencyN, scale.concurrency);
  const breakdownConcurrent = await breakdown(traced.splice(0));
  return { sequential, concurrent, breakdownSequential, breakdownConcurrent, memory: stack.memory() };

  async function breakdown(runs: typeof traced): Promise<TimelineEvent[]> {
    const lines = await Promise.all(
      runs.map((r) => timeline(stack.client, r.workflowId, r.sentAt, 'defenderSubmit')),
    );
    return meanTimeline(lines);
  }
}
