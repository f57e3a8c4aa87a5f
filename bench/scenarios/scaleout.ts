// 8. Throughput with 2 worker processes vs 1 on the same machine: N detections on the night path posted
// at concurrency C, end to end (detection POST → the fake's isolate POST), once with one `nightshift
// worker` process and once with two on the same task queues (a fresh stack each).
import { Stack } from '../lib/stack';
import { detection, machine, postDetection } from '../lib/load';
import { pool, summarize } from '../lib/stats';
import type { Scale } from '../run';

export async function throughput(stack: Stack, tag: string, count: number, concurrency: number) {
  const ms: number[] = [];
  let errors = 0;
  // Warm-up (JIT, the Defender token, the blast-radius entity): not counted.
  const one = async (n: number, into?: number[]) => {
    const label = `${tag}-wks-${n}`;
    const id = machine(stack, label);
    const p = await postDetection(
      stack,
      detection({ id: `${tag}-det-${n}`, incident: `${tag}-inc-${n}`, devices: [{ id, name: label }] }),
    );
    if (p.status !== 202) {
      errors++;
      return;
    }
    try {
      const at = await stack.watch.wait(
        () => stack.watch.isolatePost.get(id),
        120_000,
        `isolate of ${label}`,
      );
      into?.push(at - p.sentAt);
    } catch {
      errors++;
    }
  };
  await pool(10, 5, (i) => one(-1 - i));
  const t0 = Date.now();
  await pool(count, concurrency, (i) => one(i, ms));
  const wallMs = Date.now() - t0;
  return {
    workers: stack.opts.workers ?? 1,
    detections: count,
    concurrency,
    wallMs,
    runsPerSecond: Math.round((ms.length / wallMs) * 1000 * 10) / 10,
    toIsolatePost: summarize(ms),
    errors,
  };
}

export async function scaleoutScenario(scale: Scale, start: (workers: number) => Promise<Stack>) {
  const out = [];
  for (const workers of [1, 2]) {
    const stack = await start(workers);
    try {
      out.push(await throughput(stack, `so${workers}`, scale.scaleoutN, scale.concurrency));
    } finally {
      await stack.stop();
    }
  }
  const [one, two] = out;
  return { one, two, ratio: Math.round((two.runsPerSecond / one.runsPerSecond) * 100) / 100 };
}
