// What a run is doing right now, for its state view (GET /v1/runs/{id}, the `state` query): the step in
// progress reads `running` with its start and what it waits for, a Defender action shows its id and
// status while it is pending, and steps not reached yet read `pending`. This is the API's view only:
// inside CEL, `steps.<id>` of a step not yet run reads `skipped` (spec §3), from the results alone.

export type WaitingFor = 'approval' | 'ack' | 'defender_action' | 'timer';

export interface Wait {
  waiting_for: WaitingFor;
  /** approval: its id and when it times out. */
  approval_id?: string;
  expires_at?: string;
  /** approval with `escalate`: the stage reached and when the next is due. */
  stage?: number;
  next_stage_at?: string;
  /** ack: the page and when its current round times out. */
  page_id?: string;
  deadline?: string;
  /** timer: when the wait ends. */
  until?: string;
}

export interface LiveAction {
  device: string;
  action_id: string;
  status: string;
}

interface LiveStep {
  started_at: string;
  /** By element number (device or item order). */
  waits: Map<number, Wait>;
  actions: Map<number, LiveAction>;
}

export class LiveSteps {
  private readonly steps = new Map<string, LiveStep>();

  private entry(stepId: string, at: string): LiveStep {
    let s = this.steps.get(stepId);
    if (!s) {
      s = { started_at: at, waits: new Map(), actions: new Map() };
      this.steps.set(stepId, s);
    }
    return s;
  }

  /** A step starts (or, for a catch-up of joining devices, runs again). */
  begin(stepId: string, at: string): void {
    this.entry(stepId, at);
  }

  end(stepId: string): void {
    this.steps.delete(stepId);
  }

  /** Element `n` of a step waits for `w` while `fn` runs. */
  async during<T>(stepId: string, n: number, at: Date, w: Wait, fn: () => Promise<T>): Promise<T> {
    const s = this.entry(stepId, at.toISOString());
    s.waits.set(n, w);
    try {
      return await fn();
    } finally {
      s.waits.delete(n);
    }
  }

  /** The machine action of element `n`, as last known. */
  action(stepId: string, n: number, at: Date, a: LiveAction): void {
    this.entry(stepId, at.toISOString()).actions.set(n, a);
  }

  /**
   * A step as the state view shows it: its result when it has one (with the actions of devices still
   * being caught up), `running` while it runs, else `pending` in a running run and `skipped` after.
   */
  view(
    stepId: string,
    result: Record<string, unknown> | undefined,
    runRunning: boolean,
  ): Record<string, unknown> {
    const live = this.steps.get(stepId);
    const byElement = <T>(m: Map<number, T>) => [...m.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
    if (result) {
      if (!live || live.actions.size === 0) return result;
      // Devices that joined after the step ran: their actions, not final yet, beside the result's.
      const done = new Set(((result.actions as LiveAction[] | undefined) ?? []).map((a) => a.action_id));
      const pending = byElement(live.actions).filter((a) => !done.has(a.action_id));
      return pending.length ? { ...result, pending_actions: pending } : result;
    }
    if (!live) return { id: stepId, status: runRunning ? 'pending' : 'skipped' };
    const [wait] = byElement(live.waits);
    const actions = byElement(live.actions);
    return {
      id: stepId,
      status: 'running',
      started_at: live.started_at,
      ...(wait ?? {}),
      ...(actions.length ? { actions } : {}),
    };
  }
}
