// Replays recorded histories of representative runs (test/replay/*.json) against today's workflow
// code: a change to the interpreter that would break running workflows fails here, in CI.
// Record them again with: NIGHTSHIFT_RECORD_REPLAY=1 npx jest test/integration/interpreter.test.ts
// test/integration/device-release.test.ts (test/support/replay-record.ts)
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporal';

const dir = path.join(__dirname, '..', 'replay');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded playbook runs and device releases', () => {
  // Bundling takes seconds on a busy machine: not inside the first replay's time.
  beforeAll(() => workflowBundle(), 120_000);

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  });
});
