// Recording of workflow histories for test/integration/replay.test.ts, which replays every file of
// test/replay/ against today's workflow code on each CI run.
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/**
 * With NIGHTSHIFT_RECORD_REPLAY=1, keeps the run's history in test/replay/<name>.json so a workflow
 * change that breaks determinism fails the build.
 */
export async function keepHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.NIGHTSHIFT_RECORD_REPLAY !== '1') return;
  const history = await handle.fetchHistory();
  // Interaction ids embed the workflow id, so the replay must run under the original one.
  const doc = `{"workflowId":${JSON.stringify(handle.workflowId)},"history":${historyToJSON(history)}}\n`;
  fs.writeFileSync(path.join(__dirname, '..', 'replay', `${name}.json`), doc);
}
