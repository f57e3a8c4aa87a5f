// Every activity heartbeats while it runs, repeating its latest checkpoint (never erasing it), so a
// worker killed mid-activity is replaced within the heartbeat timeout. Run in the SDK's activity
// environment, which reports each heartbeat.
import { heartbeat, sleep } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { withKeepAlive } from '../../../activities/keep-alive';

function record(env: MockActivityEnvironment): unknown[] {
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return beats;
}

describe('withKeepAlive', () => {
  it('heartbeats while the activity runs, repeating the previous attempt’s checkpoint, then its own', async () => {
    const env = new MockActivityEnvironment({
      heartbeatTimeoutMs: 400,
      heartbeatDetails: { actionId: 'from-attempt-1' },
    });
    const beats = record(env);
    const acts = withKeepAlive({
      async submit(x: number) {
        await sleep(350);
        heartbeat({ actionId: 'a-2' });
        await sleep(350);
        return x * 2;
      },
    });
    expect(await env.run(acts.submit, 21)).toBe(42);
    const own = beats.findIndex((b) => (b as { actionId: string }).actionId === 'a-2');
    expect(own).toBeGreaterThan(1); // beats before the activity's own one…
    expect(beats.slice(0, own)).toEqual(beats.slice(0, own).map(() => ({ actionId: 'from-attempt-1' })));
    expect(beats.length - own).toBeGreaterThan(2); // …and after it, repeating it
    expect(beats.slice(own)).toEqual(beats.slice(own).map(() => ({ actionId: 'a-2' })));
  });

  it('stops when the activity ends, and leaves activities without a heartbeat timeout alone', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 200 });
    const beats = record(env);
    const acts = withKeepAlive({ quick: async () => 'done' });
    await env.run(acts.quick);
    const after = beats.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(beats.length).toBe(after);

    const none = new MockActivityEnvironment({ heartbeatTimeoutMs: undefined });
    const noBeats = record(none);
    await none.run(withKeepAlive({ slow: () => sleep(300) }).slow);
    expect(noBeats).toEqual([]);
  });

  it('calls straight through outside an activity', async () => {
    expect(await withKeepAlive({ f: async (a: string) => `${a}!` }).f('x')).toBe('x!');
  });
});
