// The intake activity: hands confirmed detections (e.g. from the Defender alert poller) to the same
// start-or-attach path as POST /v1/detections.
import type { Client } from '@temporalio/client';
import type { IntakeActivities } from '../core/effects';
import { startOrAttach } from '../intake/start-or-attach';
import type { PlaybookRegistry } from '../intake/registry';

export function createIntakeActivities(
  client: Client,
  registry: PlaybookRegistry,
  taskQueue: string,
): IntakeActivities {
  return {
    // `meta` (the poller's idempotency keys) needs no use here: start-or-attach is idempotent by detection id.
    async intakeDetections(detections) {
      let accepted = 0;
      for (const d of detections) {
        const r = await startOrAttach(client, registry.current, d, { taskQueue });
        if (r.runs.length > 0) accepted++;
      }
      return { accepted };
    },
  };
}
