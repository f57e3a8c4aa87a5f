// Live updates: a page that subscribes with the fingerprint it was rendered at hears of a change that
// happened before its stream opened; one without it takes the first fingerprint as its baseline.
import { EventEmitter } from 'node:events';
import type { FastifyReply } from 'fastify';
import { LiveHub } from '../../../server/console/events';

/** The parts of a Fastify reply the hub uses, recording what the stream was sent. */
function stream(): { reply: FastifyReply; sent: string[] } {
  const sent: string[] = [];
  const raw = Object.assign(new EventEmitter(), {
    writeHead: () => undefined,
    write: (chunk: string) => void sent.push(chunk),
    end: () => undefined,
  });
  return { reply: { hijack: () => undefined, raw } as unknown as FastifyReply, sent };
}

const changed = (sent: string[]) => sent.filter((c) => c.startsWith('event: changed')).length;

describe('live updates', () => {
  let state = 'a';
  let hub: LiveHub;
  const tick = () => new Promise((r) => setTimeout(r, 40));

  beforeEach(() => {
    state = 'a';
    hub = new LiveHub((name) => (name === 'inbox' ? { fingerprint: async () => state } : undefined), {
      intervalMs: 10,
      maxConnections: 10,
    });
  });
  afterEach(() => hub.close());

  it('tells a page of a change between its rendering and its subscription', async () => {
    const seen = await hub.fingerprint('inbox'); // taken when the page was rendered
    state = 'b'; // an approval asked before the page's script opened its stream
    const s = stream();
    expect(hub.subscribe('inbox', s.reply, seen)).toBe('ok');
    await tick();
    expect(changed(s.sent)).toBe(1);
    await tick();
    expect(changed(s.sent)).toBe(1); // once per change
    state = 'c';
    await tick();
    expect(changed(s.sent)).toBe(2);
  });

  it('takes the first fingerprint as the baseline of a page that sent none, or a malformed one', async () => {
    const plain = stream();
    const odd = stream();
    hub.subscribe('inbox', plain.reply);
    hub.subscribe('inbox', odd.reply, 'not-a-fingerprint');
    await tick();
    expect(changed(plain.sent) + changed(odd.sent)).toBe(0);
    state = 'b';
    await tick();
    expect([changed(plain.sent), changed(odd.sent)]).toEqual([1, 1]);
  });

  it('limits the streams of one session, and ends them at sign-out and when the session expires', async () => {
    const capped = new LiveHub(() => ({ fingerprint: async () => state }), {
      intervalMs: 10,
      maxConnections: 10,
      maxPerSession: 2,
    });
    try {
      const ended: string[] = [];
      const open = (session: string, until = Date.now() + 60_000) => {
        const s = stream();
        (s.reply.raw as unknown as { end: () => void }).end = () => void ended.push(session);
        return capped.subscribe('inbox', s.reply, undefined, { session, until });
      };
      expect([open('a'), open('a'), open('a'), open('b')]).toEqual(['ok', 'ok', 'session_full', 'ok']);
      capped.endSession('a');
      expect(ended).toEqual(['a', 'a']);
      expect(capped.size).toBe(1);
      expect(open('a')).toBe('ok'); // a new session's place (a signed-out one is refused before this)
      expect(open('c', Date.now() + 5)).toBe('ok');
      await tick();
      expect(ended).toEqual(['a', 'a', 'c']);
      expect(capped.size).toBe(2);
    } finally {
      capped.close();
    }
  });

  it('refuses unknown topics', async () => {
    expect(hub.subscribe('nope', stream().reply)).toBe('unknown');
    await expect(hub.fingerprint('nope')).resolves.toBeUndefined();
  });
});
