// Machine-action status reads of one process, gathered: polls that arrive together — the 20 devices of one
// step, polled every DEFENDER_POLL_INTERVAL_MS — are read with one list call
// (`GET /api/machineactions?$filter=id in ('…','…')`, reference §5.4 and the `in` form peers use) instead
// of one GET each. Twenty devices polled every 10 s would otherwise ask 120 calls a minute, over the quota.
//
// One read at a time: polls that arrive while a read is on its way (or waiting for its quota slot) go into
// the next one, so the busier the quota, the larger the reads. A lone poll is an ordinary GET.
import type { MachineAction } from './client';
import { apiErrorFromResponse } from './errors';

/** What the batch needs of the client. */
export interface ActionReader {
  getMachineAction(actionId: string): Promise<MachineAction>;
  listMachineActions(filter: string, top: number): Promise<MachineAction[]>;
}

/** Ids per list call: a filter of 50 GUIDs is about 2 KB of URL. */
export const MAX_IDS_PER_READ = 50;
/** How long the first poll of a read waits for others to join it. */
export const GATHER_MS = 200;

interface Waiter {
  id: string;
  resolve: (a: MachineAction) => void;
  reject: (e: unknown) => void;
}

export class ActionStatusBatch {
  private queue: Waiter[] = [];
  private busy = false;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly reader: ActionReader,
    private readonly gatherMs = GATHER_MS,
  ) {}

  /** The action's current state; rejects as a GET of it would (404 when Defender does not list it). */
  get(actionId: string): Promise<MachineAction> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: actionId, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.gatherMs);
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    this.busy = true;
    const batch = this.queue.splice(0, MAX_IDS_PER_READ);
    const ids = [...new Set(batch.map((w) => w.id))];
    try {
      if (ids.length === 1) {
        const one = await this.reader.getMachineAction(ids[0]);
        for (const w of batch) w.resolve(one);
      } else {
        const filter = `id in (${ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(',')})`;
        const found = new Map(
          (await this.reader.listMachineActions(filter, ids.length)).map((a) => [a.id, a]),
        );
        for (const w of batch) {
          const a = found.get(w.id);
          if (a) w.resolve(a);
          else w.reject(notListed(w.id));
        }
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.busy = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}

/** An action the list did not return: what a GET of it answers (404, also "not yet visible"). */
function notListed(id: string) {
  return apiErrorFromResponse(
    404,
    JSON.stringify({ error: { code: 'ResourceNotFound', message: `Machine action ${id} was not found` } }),
    {},
    'GET',
    `/api/machineactions/${id}`,
  );
}
