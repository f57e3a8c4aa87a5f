// The intake activity: hands confirmed detections (e.g. from the Defender alert poller) to the same
// start-or-attach path as POST /v1/detections.
import type { Client } from '@temporalio/client';
import type { Detection } from '../core/detection';
import { startOrAttach } from '../intake/start-or-attach';
import type { PlaybookRegistry } from '../intake/registry';

export interface IntakeActivities {
  intakeDetections(detections: Detection[]): Promise<{ accepted: number }>;
}

export function createIntakeActivities(
  client: Client,
  registry: PlaybookRegistry,
  taskQueue: string,
): IntakeActivities {
  return {
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
