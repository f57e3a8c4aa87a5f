// 3. Alert storm: D detections for V devices in I incidents (many re-deliveries, many detections per
// device), posted as fast as the intake accepts them. Checks the product's promises under load: one run
// per group key, one isolation per device, the Defender quota kept with no step failing on 429s — at the
// documented quota, which is then the physical limit: the achieved call rate is reported against it.
import type { Stack } from '../lib/stack';
import { detection, machine, postDetection, type Posted } from '../lib/load';
import { peakInWindow, pool, sleep, summarize } from '../lib/stats';
import { stateQuery } from '../../workflows/messages';
import { type RunState } from '../../core/messages';
import type { Scale } from '../run';
import { DOCUMENTED_CALLS_PER_HOUR, QuotaGate, defenderQuotas } from '../../integrations/defender/quota';

/**
 * The most calls a quota of `perMinute` and the documented hour allows in `spanMin` minutes: sliding
 * windows, each call as early as they allow (a burst of the minute at once, then one at each boundary).
 */
function quotaAllows(perMinute: number, spanMin: number): number {
  const gate = new QuotaGate(defenderQuotas(perMinute, DOCUMENTED_CALLS_PER_HOUR), 0);
  let n = 0;
  while (gate.reserve(0) <= spanMin * 60_000) n++;
  return n;
}

/** How many of `times` (ms, ascending) fall in each minute counted from the first. */
function byMinute(times: number[]): number[] {
  const out: number[] = [];
  for (const t of times) {
    const m = Math.floor((t - times[0]) / 60_000);
    while (out.length <= m) out.push(0);
    out[m]++;
  }
  return out;
}

/** A small deterministic PRNG (mulberry32), so every run posts the same storm. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function stormScenario(stack: Stack, scale: Scale) {
  const rand = rng(20261122);
  const devices = Array.from({ length: scale.stormDevices }, (_, d) => {
    const label = `storm-wks-${d}`;
    return { id: machine(stack, label), name: label, incident: `storm-inc-${d % scale.stormIncidents}` };
  });
  // Every device once, then random devices; about a third of all posts re-deliver an earlier detection.
  const bodies: Array<Record<string, unknown>> = [];
  for (let i = 0; i < scale.stormDetections; i++) {
    if (i >= scale.stormDevices && rand() < 0.33) {
      bodies.push(bodies[Math.floor(rand() * bodies.length)]);
      continue;
    }
    const dev = i < scale.stormDevices ? devices[i] : devices[Math.floor(rand() * devices.length)];
    bodies.push(
      detection({ id: `storm-det-${i}`, incident: dev.incident, devices: [{ id: dev.id, name: dev.name }] }),
    );
  }
  // Shuffle so incidents and devices interleave as in a real storm.
  for (let i = bodies.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [bodies[i], bodies[j]] = [bodies[j], bodies[i]];
  }
  const uniqueDetections = new Set(bodies.map((b) => b.id as string)).size;
  const uniqueKeys = new Set(devices.map((d) => d.incident)).size;

  stack.resetPeaks();
  const posted: Posted[] = [];
  const t0 = Date.now();
  await pool(bodies.length, 64, async (i) => {
    posted.push(await postDetection(stack, bodies[i]));
  });
  const postWallMs = Date.now() - t0;
  const results: Record<string, number> = {};
  const runIds = new Set<string>();
  let non202 = 0;
  for (const p of posted) {
    if (p.status !== 202) non202++;
    for (const r of p.body.runs ?? []) {
      results[r.result] = (results[r.result] ?? 0) + 1;
      if (r.result === 'started') runIds.add(r.workflowId);
    }
  }

  // Drained: every run's isolate step has finished and acted on every device of the run — devices that
  // joined after the step are isolated by the run's catch-up, after the step's first finish (or the
  // deadline passed).
  const isolatedAll = (s: RunState) => {
    const isolate = s.steps.find((x) => x.id === 'isolate');
    const acted = new Set(
      ((isolate?.actions as Array<{ device: string }> | undefined) ?? []).map((a) => a.device),
    );
    return !!isolate?.finished_at && s.deviceIds.every((d) => acted.has(d));
  };
  const allRuns = [...new Set(posted.flatMap((p) => (p.body.runs ?? []).map((r) => r.workflowId)))];
  // 300 devices at the documented quota: about 4 calls each (lookup, POST, polls) at 100 a minute.
  const deadline = Date.now() + (scale.quick ? 300_000 : 1_500_000);
  const queryState = (id: string) => stack.client.workflow.getHandle(id).query(stateQuery);
  let states: RunState[] = [];
  for (;;) {
    states = await Promise.all(allRuns.map(queryState));
    const pending = states.filter((s) => !isolatedAll(s)).length;
    if (pending === 0 || Date.now() > deadline) break;
    await sleep(1000);
  }
  const drainMs = Date.now() - t0;
  const memory = stack.memory();

  // Isolations as Defender saw them: accepted Isolate actions per machine.
  const perMachine = new Map<string, number>();
  for (const a of stack.defender.actions)
    if (a.type === 'Isolate') perMachine.set(a.machineId, (perMachine.get(a.machineId) ?? 0) + 1);
  const isolatedOnce = devices.filter((d) => perMachine.get(d.id) === 1).length;
  const isolatedTwice = devices.filter((d) => (perMachine.get(d.id) ?? 0) > 1).length;
  const neverIsolated = devices.filter((d) => !perMachine.has(d.id));
  // Devices a run knows about (joined its incident) but never isolated: joined after the isolate step ran.
  const knownToRuns = new Set(states.flatMap((s) => s.deviceIds));
  const failedSteps = states.flatMap((s) =>
    s.steps
      .filter((x) => x.status === 'failed' || x.status === 'timed_out')
      .map((x) => `${x.id}: ${String(x.reason)}`),
  );

  const calls = stack.defender.apiCalls();
  const accepted = calls.filter((c) => c.status !== 429);
  const throttled = calls.length - accepted.length;
  const spanMin = calls.length ? (calls[calls.length - 1].at - calls[0].at) / 60_000 : 0;
  return {
    detections: bodies.length,
    uniqueDetections,
    devices: devices.length,
    uniqueKeys,
    intake: {
      wallMs: postWallMs,
      perSecond: Math.round((bodies.length / postWallMs) * 1000 * 10) / 10,
      latency: summarize(posted.map((p) => p.doneAt - p.sentAt)),
      non202,
      results,
    },
    runsCreated: runIds.size,
    runsCreatedEqualsUniqueKeys: runIds.size === uniqueKeys,
    isolations: {
      actions: [...perMachine.values()].reduce((a, c) => a + c, 0),
      devicesIsolatedExactlyOnce: isolatedOnce,
      devicesIsolatedMoreThanOnce: isolatedTwice,
      devicesNeverIsolated: neverIsolated.length,
      neverIsolatedButKnownToTheirRun: neverIsolated.filter((d) => knownToRuns.has(d.id)).length,
    },
    defender: {
      quotaPerMinute: scale.stormCallsPerMinute,
      quotaPerHour: DOCUMENTED_CALLS_PER_HOUR,
      // Calls Defender accepted over the span of the calls, against the most the quota allows in it.
      quotaAllowsInSpan: quotaAllows(scale.stormCallsPerMinute, spanMin),
      achievedOfQuota:
        Math.round((accepted.length / Math.max(1, quotaAllows(scale.stormCallsPerMinute, spanMin))) * 1000) /
        1000,
      apiCalls: calls.length,
      throttled429: throttled,
      peakAttemptedPer60s: peakInWindow(
        calls.map((c) => c.at),
        60_000,
      ),
      peakAcceptedPer60s: peakInWindow(
        accepted.map((c) => c.at),
        60_000,
      ),
      meanPerMinute: spanMin > 0 ? Math.round(calls.length / spanMin) : calls.length,
      // Calls in each minute after the first: where the span went when the quota was not the limit.
      callsByMinute: byMinute(calls.map((c) => c.at)),
    },
    failedSteps: failedSteps.length,
    failedStepReasons: [...new Set(failedSteps)].slice(0, 10),
    drainMs,
    drained: states.every(isolatedAll),
    memory,
  };
}
