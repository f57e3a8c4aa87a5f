// 1. Detection → first Defender call on the night path: POST /v1/detections on the real server →
// startOrAttach → playbook run → notify (Slack, Teams) → blast-radius reservation → defenderSubmit,
// whose isolate POST the fake Defender stamps on arrival. Sequential, then at concurrency C.
import { Stack } from '../lib/stack';
import { detection, machine, postDetection } from '../lib/load';
import { pool, summarize, type Summary } from '../lib/stats';
import type { Scale } from '../run';
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
}

export async function latencyScenario(stack: Stack, scale: Scale, tag: string) {
  let seq = 0;
  // Histories of a sample of runs (every 10th), for the breakdown of where the time goes.
  const traced: Array<{ workflowId: string; sentAt: number }> = [];
  const one = async (samples: { iso: number[]; first: number[]; http: number[] }, errors: { n: number }) => {
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
  const phase = async (count: number, concurrency: number): Promise<LatencyPhase> => {
    const samples = { iso: [] as number[], first: [] as number[], http: [] as number[] };
    const errors = { n: 0 };
    const t0 = Date.now();
    await pool(count, concurrency, () => one(samples, errors));
    return {
      concurrency,
      detections: count,
      wallMs: Date.now() - t0,
      toIsolatePost: summarize(samples.iso),
      toFirstDefenderCall: summarize(samples.first),
      intake202: summarize(samples.http),
      errors: errors.n,
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
