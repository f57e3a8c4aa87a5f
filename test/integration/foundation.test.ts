// The thin slice: a workflow and an activity run end to end by a real worker on the real server.
import * as smoke from '../../activities/smoke';
import { createTestWorker, testClient, uniqueTaskQueue } from '../support/temporal';

describe('foundation: worker + real Temporal server', () => {
  it('runs a workflow that calls an activity', async () => {
    const { client, connection } = await testClient();
    const taskQueue = uniqueTaskQueue();
    const { worker, connection: workerConn } = await createTestWorker({ taskQueue, activities: smoke });
    try {
      const result = await worker.runUntil(
        client.workflow.execute('smokeTest', {
          taskQueue,
          workflowId: `smoke-${taskQueue}`,
          args: ['hello'],
        }),
      );
      expect(result).toBe('workflow saw: pong hello (attempt 1)');
      // The run is really recorded by the server: its history holds the activity.
      const history = await client.workflow.getHandle(`smoke-${taskQueue}`).fetchHistory();
      const types = history.events
        ?.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter(Boolean);
      expect(types).toEqual(['ping']);
    } finally {
      await workerConn.close();
      await connection.close();
    }
  });
});
