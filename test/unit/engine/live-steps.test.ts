// The state view of steps (pure): running with what it waits for, pending before, the actions of
// joining devices beside a step's result, skipped once the run ended without a step.
import { LiveSteps } from '../../../engine/live-steps';

const at = new Date('2026-11-22T03:00:00.000Z');

describe('LiveSteps', () => {
  it('shows a running step with the first waiting element, and its actions in element order', async () => {
    const live = new LiveSteps();
    live.begin('isolate', at.toISOString());
    live.action('isolate', 1, at, { device: 'b', action_id: 'a-2', status: 'Pending' });
    live.action('isolate', 0, at, { device: 'a', action_id: 'a-1', status: 'InProgress' });
    let release!: () => void;
    const waiting = live.during(
      'isolate',
      0,
      at,
      { waiting_for: 'defender_action' },
      () => new Promise<void>((r) => (release = r)),
    );
    expect(live.view('isolate', undefined, true)).toEqual({
      id: 'isolate',
      status: 'running',
      started_at: '2026-11-22T03:00:00.000Z',
      waiting_for: 'defender_action',
      actions: [
        { device: 'a', action_id: 'a-1', status: 'InProgress' },
        { device: 'b', action_id: 'a-2', status: 'Pending' },
      ],
    });
    release();
    await waiting;
    expect(live.view('isolate', undefined, true)).not.toHaveProperty('waiting_for');
    live.end('isolate');
    expect(live.view('isolate', undefined, true)).toEqual({ id: 'isolate', status: 'pending' });
    expect(live.view('isolate', undefined, false)).toEqual({ id: 'isolate', status: 'skipped' });
  });

  it('lists the pending actions of devices that joined beside the step result', () => {
    const live = new LiveSteps();
    const result = {
      id: 'isolate',
      status: 'succeeded',
      actions: [{ device: 'a', action_id: 'a-1', status: 'Succeeded' }],
    };
    expect(live.view('isolate', result, true)).toBe(result);
    live.action('isolate', 1, at, { device: 'b', action_id: 'a-2', status: 'Pending' });
    expect(live.view('isolate', result, true)).toEqual({
      ...result,
      pending_actions: [{ device: 'b', action_id: 'a-2', status: 'Pending' }],
    });
  });
});
