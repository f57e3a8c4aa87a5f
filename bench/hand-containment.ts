// The night containment path of playbooks/contain-confirmed-threat.yaml written by hand as a plain
// Temporal workflow: the same activities, the same activity options and idempotency keys as the
// interpreter's Temporal binding (workflows/playbook-run.ts), and the same Defender path — the incident
// read beside the steps, the machine looked up before acting on it — but no IR, no CEL and no
// search-attribute upserts. It exists only so the benchmark can price the interpreter
// (bench/scenarios/overhead.ts).
import {
  ActivityFailure,
  TimeoutFailure,
  condition,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  DefenderActivities,
  MachineActionStatus,
  NightshiftActivities,
  Recipient,
  RunRef,
} from '../core/effects';
import { FINAL_MACHINE_ACTION_STATES } from '../core/effects';
import { defenderTaskQueue } from '../core/queues';
import { DEFAULT_DEFENDER_TIMEOUT_MS } from '../core/run';
import {
  BLAST_RADIUS_ACTIVITY_OPTIONS,
  CHANNEL_ACTIVITY_OPTIONS,
  defenderActivityOptions,
} from '../workflows/activity-options';
import type { BlastRadiusActivities } from '../core/effects';
import type { DefenderDepthActivities } from '../core/defender-effects';
import type { Detection } from '../core/detection';
import type { OrgIR } from '../core/ir';
import { isCalendarOpen } from '../engine/time/calendar';
import { onCallAt } from '../engine/time/rotation';

export interface HandInput {
  org: OrgIR;
  detection: Detection;
}

export interface HandOutcome {
  isolated: boolean;
  status: string;
  paged?: string;
}

// The playbook run's own options (workflows/activity-options.ts), so only the interpretation differs.
const channels = proxyActivities<NightshiftActivities>(CHANNEL_ACTIVITY_OPTIONS);
const blast = proxyActivities<BlastRadiusActivities>(BLAST_RADIUS_ACTIVITY_OPTIONS);

const ACK_TIMEOUT_MS = 10 * 60_000;
const PROTECTED_TAGS = ['domain-controller', 'no-auto-isolate'];

export const handAckUpdate = defineUpdate<void, [string]>('handAck');

export async function handContainment({ org, detection }: HandInput): Promise<HandOutcome> {
  const info = workflowInfo();
  const wf = info.workflowId;
  const device = detection.devices[0];
  const opts = defenderActivityOptions(DEFAULT_DEFENDER_TIMEOUT_MS, defenderTaskQueue(info.taskQueue));
  const submit = proxyActivities<DefenderActivities>(opts.submit);
  const depth = proxyActivities<DefenderDepthActivities>(opts.submit);
  const poll = proxyActivities<DefenderActivities>(opts.poll);
  const ref = (stepId: string): RunRef => ({
    workflowId: wf,
    playbook: 'hand-containment',
    playbookVersion: 1,
    stepId,
    detectionId: detection.id,
  });
  let acked = false;
  setHandler(handAckUpdate, () => {
    acked = true;
  });

  // the incident, read beside the steps (engine/interpreter.ts)
  const reading = detection.incident_id
    ? depth.defenderReadIncident({
        key: `${wf}/incident/${detection.incident_id}`,
        run: ref(''),
        incidentId: detection.incident_id,
      })
    : Promise.resolve(undefined);

  // announce
  const message = `Confirmed ${detection.severity} threat on ${device.name}: ${detection.title}`;
  const to: Recipient[] = ['soc-slack', 'soc-teams'].map((id) => ({
    type: 'channel',
    id,
    channel: org.channels[id],
  }));
  await Promise.all(
    to.map((r) =>
      channels.notify({
        key: `${wf}/announce/${r.type === 'channel' ? r.id : ''}`,
        run: ref('announce'),
        to: r,
        message,
      }),
    ),
  );

  // isolate, by night, unless protected
  const open = isCalendarOpen(org.calendars['soc-hours'], new Date());
  const prot = device.tags.some((t) => PROTECTED_TAGS.includes(t));
  if (open || prot) return { isolated: false, status: open ? 'day' : 'protected' };
  // the machine to act on (engine/mde.ts): never a guess
  const { mde } = await depth.defenderLookupMachine({
    key: `${wf}/lookup/${device.id}`,
    run: ref('isolate'),
    device: {
      id: device.id,
      ...(device.name ? { name: device.name } : {}),
      ...(device.ip ? { ip: device.ip } : {}),
    },
    detectedAt: detection.detected_at,
  });
  if (mde.status !== 'found' && mde.status !== 'dry_run')
    return { isolated: false, status: `lookup ${mde.status}` };
  const machineId = mde.status === 'found' ? mde.id : device.id;
  const key = `${wf}/isolate/0/${device.id}`;
  const policy = org.policy.maxAutoIsolations;
  if (policy) {
    const ok = await blast.reserveIsolation({
      key,
      deviceId: device.id,
      workflowId: wf,
      limit: policy.count,
      windowMs: policy.perMs,
    });
    if (!ok) return { isolated: false, status: 'blast_radius' };
  }
  const submitted = await submit.defenderSubmit({
    key,
    run: ref('isolate'),
    action: 'isolate',
    machineId,
    params: { type: 'full', comment: `nightshift hand-containment v1: ${detection.id}` },
  });
  let final: MachineActionStatus | 'timed_out' = submitted.status;
  if (!FINAL_MACHINE_ACTION_STATES.includes(submitted.status) && submitted.actionId) {
    try {
      final = (await poll.defenderPoll({ actionId: submitted.actionId, machineId })).status;
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) final = 'timed_out';
      else throw err;
    }
  }
  if (final !== 'Succeeded') return { isolated: false, status: final };

  // page the on-call by SMS and voice, then wait for an acknowledgement
  const person = org.people[onCallAt(org.rotations['soc-primary'], new Date())];
  const pageId = `${wf}|page|0`;
  await Promise.allSettled(
    (['sms', 'voice'] as const).map((via) =>
      channels.page({
        key: `${pageId}/0/${person.id}/${via}`,
        run: ref('page'),
        pageId,
        code: '1000',
        person,
        via,
        message: `Isolated ${device.name} (${detection.title}). Reply ACK.`,
      }),
    ),
  );
  await condition(() => acked, ACK_TIMEOUT_MS);
  await reading;
  return { isolated: true, status: final, paged: person.id };
}
