// Machine-action polls of one process read together (integrations/defender/status-batch.ts), through the
// real client against the fake: one list call for the polls that arrive together, a lone poll a plain GET,
// an action the list does not return a 404 as its GET would be, a read failing for all it carried.
import { DefenderClient } from '../../../integrations/defender/client';
import { DefenderApiError } from '../../../integrations/defender/errors';
import { ActionStatusBatch } from '../../../integrations/defender/status-batch';
import { FakeDefender } from '../../fakes/defender/fake-defender';
import { liveConfig, startFake } from '../../fakes/defender/harness';

let fake: FakeDefender;
let client: DefenderClient;
beforeEach(async () => {
  fake = await startFake({ lifecycle: { pendingMs: 60_000, inProgressMs: 60_000, final: 'Succeeded' } });
  client = new DefenderClient(liveConfig(fake));
});
afterEach(async () => {
  await client.close();
  await fake.stop();
});

async function isolations(n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const machineId = `${i}`.padStart(40, prefix);
    fake.addMachine(machineId);
    ids.push(
      (await client.postMachineAction(machineId, 'isolate', { Comment: 'c', IsolationType: 'Full' })).id,
    );
  }
  return ids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reads = () => fake.apiCalls((c) => c.method === 'GET' && c.path.startsWith('/api/machineactions'));

describe('machine-action polls read together', () => {
  it('reads 20 polls that arrive together with one list call, each answered with its own action', async () => {
    const ids = await isolations(20, 'a');
    const batch = new ActionStatusBatch(client);
    const got = await Promise.all(ids.map((id) => batch.get(id)));
    expect(got.map((a) => a.id)).toEqual(ids);
    expect(got.map((a) => a.status)).toEqual(ids.map(() => 'Pending'));
    expect(reads()).toHaveLength(1);
    expect(reads()[0].path).toBe('/api/machineactions');
  });

  it('reads a lone poll with a plain GET of the action', async () => {
    const [id] = await isolations(1, 'b');
    const a = await new ActionStatusBatch(client).get(id);
    expect(a).toMatchObject({ id, type: 'Isolate' });
    expect(reads().map((c) => c.path)).toEqual([`/api/machineactions/${id}`]);
  });

  it('answers an action the list does not return with the 404 its GET would give; the others are read', async () => {
    const ids = await isolations(2, 'c');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const batch = new ActionStatusBatch(client);
    const [a, b, missing] = await Promise.allSettled([...ids, unknown].map((id) => batch.get(id)));
    expect(a).toMatchObject({ status: 'fulfilled', value: { id: ids[0] } });
    expect(b).toMatchObject({ status: 'fulfilled', value: { id: ids[1] } });
    expect(missing.status).toBe('rejected');
    const err = (missing as PromiseRejectedResult).reason as DefenderApiError;
    expect(err).toBeInstanceOf(DefenderApiError);
    expect(err.status).toBe(404);
    expect(reads()).toHaveLength(1);
  });

  it('gathers the polls that arrive while a read is on its way into the next read', async () => {
    const ids = await isolations(9, 'd');
    // A slow Defender: each list read takes 300 ms more.
    const batch = new ActionStatusBatch({
      getMachineAction: (id) => client.getMachineAction(id),
      listMachineActions: async (filter, top) => {
        await sleep(300);
        return client.listMachineActions(filter, top);
      },
    });
    // The first read leaves at 200 ms and is answered after 500 ms; the polls of 250 ms and 460 ms wait for it.
    const first = ids.slice(0, 3).map((id) => batch.get(id));
    await sleep(250);
    const second = ids.slice(3, 6).map((id) => batch.get(id));
    await sleep(210);
    const third = ids.slice(6).map((id) => batch.get(id));
    const got = await Promise.all([...first, ...second, ...third]);
    expect(got.map((a) => a.id)).toEqual(ids);
    expect(reads()).toHaveLength(2);
  });

  it('fails every poll a read carried when the read fails (a 429 is retried by each poll after Retry-After)', async () => {
    const ids = await isolations(3, 'e');
    fake.setRateLimit({ limit: 0, windowMs: 60_000, retryAfterS: 7 });
    const batch = new ActionStatusBatch(client);
    const settled = await Promise.allSettled(ids.map((id) => batch.get(id)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(
      settled.map((s) => ((s as PromiseRejectedResult).reason as DefenderApiError).retryAfterMs),
    ).toEqual([7_000, 7_000, 7_000]);
  });
});
