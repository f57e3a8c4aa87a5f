// 7. Time to contain one incident of 20 devices at night with the documented Defender quota (100 calls
// a minute, 1,500 an hour, the product's defaults, applied by Nightshift and by the fake alike) and the
// product's poll interval, the fake's actions final only after 30 s: one detection naming 20 devices →
// when each isolate POST arrives, and when the run's isolate step has every device final.
import { stateQuery } from '../../workflows/messages';
import type { Stack } from '../lib/stack';
import { detection, machine, postDetection } from '../lib/load';
import { sleep } from '../lib/stats';
import type { Scale } from '../run';

export const CONTAIN_DEVICES = 20;
/** The fake's machine actions: Pending 10 s, then InProgress 20 s, then Succeeded — final after 30 s. */
export const CONTAIN_LIFECYCLE = { pendingMs: 10_000, inProgressMs: 20_000, final: 'Succeeded' as const };

export async function containScenario(stack: Stack, _scale: Scale) {
  const devices = Array.from({ length: CONTAIN_DEVICES }, (_, i) => {
    const name = `cnt-wks-${i}`;
    return { id: machine(stack, name), name };
  });
  const p = await postDetection(stack, detection({ id: 'cnt-det-0', incident: 'cnt-inc-0', devices }));
  const workflowId = p.body.runs?.[0]?.workflowId;
  if (p.status !== 202 || !workflowId) throw new Error(`detection refused: ${p.status}`);
  const handle = stack.client.workflow.getHandle(workflowId);
  const deadline = p.sentAt + 180_000;
  let isolateDoneAt: number | undefined;
  let isolate: { status?: string } | undefined;
  while (Date.now() < deadline) {
    const s = await handle.query(stateQuery).catch(() => undefined);
    isolate = s?.steps.find((x) => x.id === 'isolate') as { status?: string } | undefined;
    if (isolate?.status && !['pending', 'running'].includes(isolate.status)) {
      isolateDoneAt = Date.now();
      break;
    }
    await sleep(250);
  }
  const posts = devices
    .map((d) => stack.watch.isolatePost.get(d.id))
    .filter((x): x is number => x !== undefined)
    .map((at) => at - p.sentAt)
    .sort((a, b) => a - b);
  const calls = stack.defender.calls;
  return {
    devices: CONTAIN_DEVICES,
    isolatePosts: posts.length,
    firstPostMs: posts[0],
    lastPostMs: posts[posts.length - 1],
    postsWithin10s: posts.filter((ms) => ms <= 10_000).length,
    isolateStep: isolate?.status ?? 'not seen',
    allFinalMs: isolateDoneAt !== undefined ? isolateDoneAt - p.sentAt : undefined,
    defenderCalls: calls.length,
    throttled429: calls.filter((c) => c.status === 429).length,
  };
}
