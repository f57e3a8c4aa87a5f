// Each step kind through its handler (engine/steps/), on a fake runtime: what it asks of the world
// (effects and their idempotency keys), what it waits for, and the result playbooks read.
import type {
  ApprovalAskRequest,
  ApprovalResolvedRequest,
  DefenderSubmitRequest,
  NotifyRequest,
  PageRequest,
  WebhookRequest,
} from '../../../core/effects';
import { AT, DETECTION, fakeRuntime, ORG, requests, step, tpl } from './fake-runtime';

const device = DETECTION.devices[0];
const dc = DETECTION.devices[1];
const MIN = 60_000;

describe('notify', () => {
  it('renders the message once and sends it to each channel and person once, groups expanded', async () => {
    const f = fakeRuntime();
    const r = await f.run(
      step('tell', {
        kind: 'notify',
        to: [
          { type: 'channel', id: 'soc' },
          { type: 'group', id: 'leads' },
          { type: 'person', id: 'ana' },
        ],
        message: tpl('Isolating ', { expr: 'device.name' }),
        title: tpl('Nightshift'),
      }),
      { device },
    );
    expect(r).toEqual({ id: 'tell', status: 'succeeded' });
    const sent = requests<NotifyRequest>(f, 'notify');
    expect(sent.map((s) => s.key)).toEqual(['wf-1/tell/m-1/soc', 'wf-1/tell/m-1/ana', 'wf-1/tell/m-1/cy']);
    expect(sent.every((s) => s.message === 'Isolating laptop-1' && s.title === 'Nightshift')).toBe(true);
    expect(f.ctx.effectLog.map((e) => e.target)).toEqual(['soc', 'ana', 'cy']);
  });
});

describe('approval', () => {
  const ask = step('ask', {
    kind: 'approval',
    ask: [{ type: 'channel', id: 'soc' }],
    approvers: ['ana'],
    question: tpl('Isolate ', { expr: 'device.name' }, '?'),
    timeoutMs: 15 * MIN,
    onTimeout: 'approved',
  });

  it('waits for an allowed approver; the decision stands, is shown everywhere and lifts containment limits', async () => {
    const f = fakeRuntime();
    f.clock.at(AT.getTime() + 4 * MIN, () =>
      f.ctx.interactions.decide({
        approvalId: 'wf-1|ask|0',
        personId: 'ana',
        outcome: 'approved',
        channel: 'slack',
      }),
    );
    const r = await f.run(ask, { device });
    expect(r).toMatchObject({
      status: 'succeeded',
      outcome: 'approved',
      timed_out: false,
      decided_by: 'ana',
      decided_at: new Date(AT.getTime() + 4 * MIN).toISOString(),
      channel: 'slack',
    });
    expect(requests<ApprovalAskRequest>(f, 'askApproval').map((a) => [a.key, a.question, a.code])).toEqual([
      ['wf-1|ask|0/soc', 'Isolate laptop-1?', '5500'],
    ]);
    const [resolved] = requests<ApprovalResolvedRequest>(f, 'approvalResolved');
    expect(resolved.key).toBe('wf-1|ask|0/resolved');
    expect(resolved.messages).toEqual([
      { channel: 'slack', target: 'wf-1|ask|0/soc', ref: 'ts-1', dryRun: false },
    ]);
    expect(f.ctx.humanApproved).toBe(true);
  });

  it('a person who may not decide is refused; nobody answering decides by on_timeout', async () => {
    const f = fakeRuntime();
    f.clock.at(AT.getTime() + MIN, () =>
      expect(() =>
        f.ctx.interactions.validateDecision({
          approvalId: 'wf-1|ask|0',
          personId: 'bo',
          outcome: 'denied',
          channel: 'sms',
        }),
      ).toThrow('bo may not decide this approval'),
    );
    const r = await f.run(ask, { device });
    expect(r).toMatchObject({ outcome: 'approved', timed_out: true, decided_by: '', channel: 'timeout' });
    expect(f.clock.now().getTime() - AT.getTime()).toBe(15 * MIN);
    expect(f.ctx.humanApproved).toBe(false);
  });

  it('asks a person once per `via`, each with its own key', async () => {
    const f = fakeRuntime();
    await f.run(
      step('ask', {
        ...ask.run,
        ask: [{ type: 'person', id: 'bo' }],
        via: ['sms', 'voice'],
        timeoutMs: MIN,
      } as typeof ask.run),
    );
    expect(requests<ApprovalAskRequest>(f, 'askApproval').map((a) => [a.key, a.via])).toEqual([
      ['wf-1|ask|0/bo/sms', 'sms'],
      ['wf-1|ask|0/bo/voice', 'voice'],
    ]);
  });
});

describe('page', () => {
  const pg = step('page', {
    kind: 'page',
    rotation: 'primary',
    via: ['sms', 'voice'],
    message: tpl('Contained ', { expr: 'device.name' }),
    ackTimeoutMs: 10 * MIN,
    escalateTo: ['ana'],
  });

  it('pages the on-call every way and succeeds on their acknowledgement', async () => {
    const f = fakeRuntime();
    f.clock.at(AT.getTime() + 2 * MIN, () =>
      f.ctx.interactions.ack({ pageId: 'wf-1|page|0', personId: 'bo', channel: 'sms' }),
    );
    const r = await f.run(pg, { device });
    expect(r).toMatchObject({ status: 'succeeded', acked_by: 'bo' });
    expect(requests<PageRequest>(f, 'page').map((p) => p.key)).toEqual([
      'wf-1|page|0/0/bo/sms',
      'wf-1|page|0/0/bo/voice',
    ]);
  });

  it('escalates once when nobody acknowledges, then times out and forgets the page', async () => {
    const f = fakeRuntime();
    const r = await f.run(pg, { device });
    expect(r).toEqual({ id: 'page', status: 'timed_out', acked_by: '', acked_at: '' });
    expect(requests<PageRequest>(f, 'page').map((p) => [p.key, p.message])).toEqual([
      ['wf-1|page|0/0/bo/sms', 'Contained laptop-1'],
      ['wf-1|page|0/0/bo/voice', 'Contained laptop-1'],
      ['wf-1|page|0/1/ana/sms', 'Contained laptop-1'],
      ['wf-1|page|0/1/ana/voice', 'Contained laptop-1'],
    ]);
    expect(f.clock.now().getTime() - AT.getTime()).toBe(20 * MIN);
    expect(f.ctx.interactions.pages.size).toBe(0);
  });
});

describe('wait', () => {
  it('sleeps for its duration, or until an instant; an instant already past waits nothing', async () => {
    const f = fakeRuntime();
    await f.run(step('w', { kind: 'wait', forMs: 5 * MIN }));
    expect(f.clock.now().getTime() - AT.getTime()).toBe(5 * MIN);
    await f.run(step('u', { kind: 'wait', until: { src: 'now - duration("1h")', at: 'test.yaml:1:1' } }));
    expect(f.clock.now().getTime() - AT.getTime()).toBe(5 * MIN);
  });
});

describe('webhook', () => {
  const hook = step('hook', {
    kind: 'webhook',
    url: tpl('https://hooks.example/', { expr: 'detection.id' }),
    method: 'POST',
    headers: { 'x-sev': tpl({ expr: 'detection.severity' }) },
    body: { t: 'object', v: [['title', { t: 'template', v: tpl({ expr: 'detection.title' }) }]] },
  });

  it('calls the rendered URL once per element, keyed, and fails on a non-2xx answer', async () => {
    const f = fakeRuntime({ answers: { webhook: async () => ({ httpStatus: 503, body: 'busy' }) } });
    const r = await f.run(hook, {}, 3);
    expect(r).toEqual({
      id: 'hook',
      status: 'failed',
      reason: 'webhook answered HTTP 503',
      http_status: 503,
      body: 'busy',
    });
    expect(requests<WebhookRequest>(f, 'webhook')).toMatchObject([
      {
        key: 'wf-1/hook/3',
        url: 'https://hooks.example/det-1',
        headers: { 'x-sev': 'high' },
        body: { title: 'Mimikatz' },
      },
    ]);
  });
});

describe('defender', () => {
  const isolate = step('isolate', {
    kind: 'defender',
    action: 'isolate',
    params: { type: tpl('full'), comment: tpl('c') },
  });
  const protectedOrg = {
    ...ORG,
    policy: {
      protectedDevices: { src: "'domain-controller' in device.tags", at: 'nightshift.yaml:1:1' },
      maxAutoIsolations: { count: 5, perMs: 60 * MIN },
    },
  };

  it('isolates a device: reserves a slot, submits with its key, and waits for the action to finish', async () => {
    const f = fakeRuntime({ org: protectedOrg });
    const r = await f.run(isolate, { device }, 0);
    expect(r).toEqual({
      id: 'isolate',
      status: 'succeeded',
      actions: [{ device: 'm-1', action_id: 'act-m-1', status: 'Succeeded' }],
    });
    // The machine is looked up first (here: no tenant, so the id as given acts).
    expect(f.calls.map((c) => c.effect)).toEqual([
      'defenderLookupMachine',
      'reserveIsolation',
      'defenderSubmit',
      'defenderAwait',
    ]);
    const [req] = requests<DefenderSubmitRequest>(f, 'defenderSubmit');
    expect(req).toMatchObject({ key: 'wf-1/isolate/0/m-1', action: 'isolate', machineId: 'm-1' });
    expect(requests(f, 'reserveIsolation')).toEqual([
      { key: 'wf-1/isolate/0/m-1', deviceId: 'm-1', workflowId: 'wf-1', limit: 5, windowMs: 60 * MIN },
    ]);
  });

  it('never contains a protected device automatically; a person’s approval in the run lifts it', async () => {
    const f = fakeRuntime({ org: protectedOrg });
    expect(await f.run(isolate, { device: dc }, 1)).toEqual({
      id: 'isolate',
      status: 'failed',
      reason: 'protected',
      actions: [],
    });
    // Only the lookup (the policy may read device.mde): nothing submitted, no slot taken.
    expect(f.calls.map((c) => c.effect)).toEqual(['defenderLookupMachine']);
    f.ctx.humanApproved = true;
    expect(await f.run(isolate, { device: dc }, 1)).toMatchObject({ status: 'succeeded' });
    // Approved by a person: no blast-radius slot is taken (and the device is not looked up twice).
    expect(f.calls.map((c) => c.effect)).toEqual([
      'defenderLookupMachine',
      'defenderSubmit',
      'defenderAwait',
    ]);
  });

  it('is refused by the blast-radius limit, and gives a slot back when the action fails', async () => {
    const full = fakeRuntime({ org: protectedOrg, answers: { reserveIsolation: async () => false } });
    expect(await full.run(isolate, { device }, 0)).toEqual({
      id: 'isolate',
      status: 'failed',
      reason: 'blast_radius',
      actions: [],
    });
    expect(full.refusals).toEqual([{ stepId: 'isolate', deviceId: 'm-1', limit: 5, windowMs: 60 * MIN }]);

    const failing = fakeRuntime({ org: protectedOrg, answers: { defenderAwait: async () => 'Failed' } });
    expect(await failing.run(isolate, { device }, 0)).toMatchObject({
      status: 'failed',
      reason: 'machine action Failed',
    });
    expect(requests(failing, 'releaseIsolation')).toEqual([{ key: 'wf-1/isolate/0/m-1' }]);
  });

  it('an action still pending at the step timeout reads timed_out and keeps its slot', async () => {
    const f = fakeRuntime({ org: protectedOrg, answers: { defenderAwait: async () => 'timed_out' } });
    const r = await f.run({ ...isolate, timeoutMs: 2 * MIN }, { device }, 0);
    expect(r).toMatchObject({ status: 'timed_out', reason: 'machine action did not finish in time' });
    expect(requests<{ timeoutMs?: number }>(f, 'defenderAwait')).toHaveLength(1);
    expect(f.calls.find((c) => c.effect === 'defenderAwait')).toBeDefined();
    expect(requests(f, 'releaseIsolation')).toEqual([]);
  });

  it('acts once for non-device actions: an indicator, and the run’s alerts', async () => {
    const f = fakeRuntime({
      answers: {
        defenderSubmit: async () => ({
          indicatorId: 'ind-9',
          status: 'Succeeded',
          attached: false,
          dryRun: false,
        }),
      },
    });
    const block = step('block', {
      kind: 'defender',
      action: 'block_indicator',
      params: { type: tpl('sha256'), value: tpl('abc'), action: tpl('block'), title: tpl('t') },
    });
    expect(await f.run(block)).toEqual({ id: 'block', status: 'succeeded', indicator_id: 'ind-9' });
    await f.run(
      step('resolve', { kind: 'defender', action: 'update_alert', params: { status: tpl('Resolved') } }),
    );
    expect(
      requests<DefenderSubmitRequest>(f, 'defenderSubmit').map((r) => [r.key, r.machineId, r.alertIds]),
    ).toEqual([
      ['wf-1/block/0', undefined, undefined],
      ['wf-1/resolve/0', undefined, ['al-1', 'al-2']],
    ]);
  });
});
