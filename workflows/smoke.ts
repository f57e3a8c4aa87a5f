// The smallest end-to-end slice: a workflow that calls one activity. `nightshift doctor`-style checks
// and the foundation integration test use it to prove worker, server and activities are wired.
import { proxyActivities } from '@temporalio/workflow';
import type { SmokeActivities } from '../core/effects';

const { ping } = proxyActivities<SmokeActivities>({ startToCloseTimeout: '10 seconds' });

export async function smokeTest(message: string): Promise<string> {
  const pong = await ping(message);
  return `workflow saw: ${pong}`;
}
