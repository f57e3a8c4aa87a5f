// Detection → matching playbooks → one run per playbook × group key: started, or attached to the
// running one (its devices join). Used by POST /v1/detections and by the Defender alert poller.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { Detection } from '../core/detection';
import type { OrgIR, PlaybookIR } from '../core/ir';
import { TASK_QUEUE } from '../core/queues';
import { PLAYBOOK_RUN_WORKFLOW } from '../core/messages';
import type { RunInput } from '../core/run';
import { attachDetectionSignal, attachUpdate } from '../workflows/messages';
import { rootCause } from '../core/failures';
import type { playbookRun } from '../workflows/playbook-run';
import { groupKeys, matches, workflowId } from './match';

export { groupKeys, matches };
import { SA_DETECTION_IDS, SA_DEVICE_IDS, SA_INCIDENT_ID, SA_PLAYBOOK } from '../core/search-attributes';

export interface RunRefOut {
  playbook: string;
  version: number;
  workflowId: string;
  /** started: a new run; attached: joined the running run; duplicate: this detection was already handled. */
  result: 'started' | 'attached' | 'duplicate';
  deviceIds: string[];
}

export interface IntakeResult {
  detectionId: string;
  runs: RunRefOut[];
  /** Playbooks whose `when` failed to evaluate on this detection (the others still ran). */
  errors: Array<{ playbook: string; message: string }>;
}

export async function startOrAttach(
  client: Client,
  current: { org?: OrgIR; playbooks: PlaybookIR[] },
  detection: Detection,
  opts: { taskQueue?: string; now?: Date } = {},
): Promise<IntakeResult> {
  const out: IntakeResult = { detectionId: detection.id, runs: [], errors: [] };
  const org = current.org;
  if (!org) throw new Error('no organisation file is loaded: fix nightshift.yaml and reload');
  for (const pb of current.playbooks) {
    let hit: boolean;
    try {
      hit = matches(pb, org, detection, opts.now ?? new Date());
    } catch (err) {
      out.errors.push({ playbook: pb.name, message: (err as Error).message });
      continue;
    }
    if (!hit) continue;
    for (const { key, detection: det } of groupKeys(pb, detection)) {
      out.runs.push(await startOrAttachOne(client, pb, org, key, det, opts.taskQueue ?? TASK_QUEUE));
    }
  }
  return out;
}

/** Attempts at start-or-attach while a run of the key is closing (it refuses detections meanwhile). */
const MAX_ATTEMPTS = 5;

async function startOrAttachOne(
  client: Client,
  pb: PlaybookIR,
  org: OrgIR,
  key: string,
  det: Detection,
  taskQueue: string,
): Promise<RunRefOut> {
  const id = workflowId(pb.name, pb.on.groupBy, key);
  const ref = {
    playbook: pb.name,
    version: pb.version,
    workflowId: id,
    deviceIds: det.devices.map((d) => d.id),
  };
  const input: RunInput = { ir: pb, org, detection: det, groupKey: key };
  const handle = client.workflow.getHandle(id);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
    let running = false;
    try {
      const desc = await handle.describe();
      running = desc.status.name === 'RUNNING';
      // The run's detections, as it last recorded them: a closed run that handled this very detection
      // (a retried delivery) is never run twice.
      const seen = (desc.typedSearchAttributes.get(SA_DETECTION_IDS) as string[] | undefined) ?? [];
      if (seen.includes(det.id)) return { ...ref, result: 'duplicate' };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    // Start; if a run of this key is already running (perhaps started a moment ago by a racing
    // delivery), attach to it instead. The answer says which happened.
    if (!running) {
      try {
        await client.workflow.start<typeof playbookRun>(PLAYBOOK_RUN_WORKFLOW, {
          workflowId: id,
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          typedSearchAttributes: [
            { key: SA_PLAYBOOK, value: pb.name },
            { key: SA_DETECTION_IDS, value: [det.id] },
            { key: SA_DEVICE_IDS, value: det.devices.map((d) => d.id) },
            ...(det.incident_id ? [{ key: SA_INCIDENT_ID, value: det.incident_id }] : []),
          ],
          memo: { playbookVersion: pb.version, playbookHash: pb.hash, groupBy: pb.on.groupBy, groupKey: key },
        });
        return { ...ref, result: 'started' };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    // The run itself says whether the detection is new to it: its search attributes lag behind
    // deliveries that it has not processed yet (racing re-deliveries, a worker catching up).
    try {
      const result = await handle.executeUpdate(attachUpdate, { args: [det] });
      return { ...ref, result };
    } catch (err) {
      if (isClosed(err)) continue; // closed meanwhile: the next turn starts a new run
      if (err instanceof WorkflowUpdateFailedError) {
        const why = rootCause(err);
        if (/No registered handler for update/.test(why)) {
          // A worker of an older release: it takes the detection by signal (and cannot tell duplicates).
          await handle.signal(attachDetectionSignal, det);
          return { ...ref, result: 'attached' };
        }
        continue; // the run has finished its steps and is closing: start anew once it has closed
      }
      throw err;
    }
  }
  throw new Error(`could not start or attach run ${id}: it kept closing and reopening`);
}

function isClosed(err: unknown): boolean {
  return (
    err instanceof WorkflowNotFoundError ||
    /workflow execution already completed/i.test(String((err as Error)?.message ?? ''))
  );
}
