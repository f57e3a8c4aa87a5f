// 2. Interpreter overhead: the interpreted contain-confirmed-threat playbook (workflows/playbook-run.ts)
// against the same night path written by hand (bench/hand-containment.ts), on the same worker, the same
// activities and fakes, in one run. Both are started directly through the client (no intake), one at a
// time, in ABBA blocks so drift (JIT, caches, Temporal's in-memory store growing) hits both alike.
import path from 'node:path';
import type { Detection } from '../../core/detection';
import { loadProject } from '../../compiler';
import { TASK_QUEUE } from '../../core/queues';
import { SA_DETECTION_IDS, SA_DEVICE_IDS, SA_INCIDENT_ID, SA_PLAYBOOK } from '../../core/search-attributes';
import type { RunInput } from '../../core/run';
import type { HandInput } from '../hand-containment';
import { PLAYBOOK, REPO, type Stack } from '../lib/stack';
import { detection, machine } from '../lib/load';
import { summarize } from '../lib/stats';
import type { Scale } from '../run';

type Kind = 'interpreted' | 'hand';

export async function overheadScenario(stack: Stack, scale: Scale) {
  const project = loadProject({
    config: path.join(REPO, 'bench', 'fixtures', 'night', 'nightshift.yaml'),
    paths: [PLAYBOOK],
  });
  const org = project.org;
  const ir = project.playbooks[0];
  if (!org || !ir) throw new Error('bench fixtures do not compile');
  let n = 0;
  const workflowIds: Record<Kind, string[]> = { interpreted: [], hand: [] };

  const runOne = async (kind: Kind) => {
    const i = n++;
    const label = `ovh-${i}`;
    const id = machine(stack, label);
    const incident = `ovh-inc-${i}`;
    const det = detection({
      id: `ovh-det-${i}`,
      incident,
      devices: [{ id, name: label }],
    }) as unknown as Detection;
    const typedSearchAttributes = [
      { key: SA_PLAYBOOK, value: kind === 'interpreted' ? ir.name : 'hand-containment' },
      { key: SA_DETECTION_IDS, value: [det.id] },
      { key: SA_DEVICE_IDS, value: [id] },
      { key: SA_INCIDENT_ID, value: incident },
    ];
    const t0 = Date.now();
    if (kind === 'interpreted') {
      const workflowId = `nightshift/${ir.name}/incident/${incident}`;
      const input: RunInput = { ir, org, detection: det, groupKey: incident };
      await stack.client.workflow.start('playbookRun', {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [input],
        typedSearchAttributes,
      });
      workflowIds.interpreted.push(workflowId);
    } else {
      const workflowId = `hand/${incident}`;
      const input: HandInput = { org, detection: det };
      await stack.client.workflow.start('handContainment', {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [input],
        typedSearchAttributes,
      });
      workflowIds.hand.push(workflowId);
    }
    const post = await stack.watch.wait(() => stack.watch.isolatePost.get(id), 60_000, `isolate ${label}`);
    const page = await stack.watch.wait(() => stack.watch.pageSms.get(label), 60_000, `page ${label}`);
    return { post: post - t0, page: page - t0 };
  };

  const samples: Record<Kind, { post: number[]; page: number[]; cpuMs: number; runs: number }> = {
    interpreted: { post: [], page: [], cpuMs: 0, runs: 0 },
    hand: { post: [], page: [], cpuMs: 0, runs: 0 },
  };
  // Warm-up of both kinds, not recorded.
  for (let i = 0; i < scale.warmup; i++) await runOne(i % 2 ? 'hand' : 'interpreted');

  stack.resetPeaks();
  const block = Math.max(5, Math.floor(scale.overheadN / 8));
  const order: Kind[] = ['interpreted', 'hand', 'hand', 'interpreted'];
  let b = 0;
  while (samples.interpreted.runs < scale.overheadN || samples.hand.runs < scale.overheadN) {
    const kind = order[b++ % order.length];
    if (samples[kind].runs >= scale.overheadN) continue;
    const cpu0 = stack.cpuMs();
    for (let i = 0; i < block && samples[kind].runs < scale.overheadN; i++) {
      const r = await runOne(kind);
      samples[kind].post.push(r.post);
      samples[kind].page.push(r.page);
      samples[kind].runs++;
    }
    const cpu1 = stack.cpuMs();
    samples[kind].cpuMs += cpu1.worker - cpu0.worker;
  }

  const history = async (ids: string[]) => {
    const lens = await Promise.all(
      ids.slice(-10).map(async (id) => (await stack.client.workflow.getHandle(id).describe()).historyLength),
    );
    return Math.round(lens.reduce((a, c) => a + c, 0) / lens.length);
  };
  const report = (k: Kind) => ({
    runs: samples[k].runs,
    toIsolatePost: summarize(samples[k].post),
    toPage: summarize(samples[k].page),
    workerCpuMsPerRun: Math.round((samples[k].cpuMs / samples[k].runs) * 10) / 10,
  });
  const interpreted = { ...report('interpreted'), historyEvents: await history(workflowIds.interpreted) };
  const hand = { ...report('hand'), historyEvents: await history(workflowIds.hand) };
  const ratio = (a: number, c: number) => Math.round((a / c) * 100) / 100;
  return {
    interpreted,
    hand,
    ratio: {
      toIsolatePostP50: ratio(interpreted.toIsolatePost.p50, hand.toIsolatePost.p50),
      toIsolatePostP99: ratio(interpreted.toIsolatePost.p99, hand.toIsolatePost.p99),
      toPageP50: ratio(interpreted.toPage.p50, hand.toPage.p50),
      toPageP99: ratio(interpreted.toPage.p99, hand.toPage.p99),
      workerCpuPerRun: ratio(interpreted.workerCpuMsPerRun, hand.workerCpuMsPerRun),
    },
    memory: stack.memory(),
  };
}
