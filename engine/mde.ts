// What the run knows of Defender (issue 15 §1-2, §5): each device's machine, found and enriched once per
// run (`device.mde` in CEL), and the run's incidents. Per-device Defender steps act on the machine the
// lookup found — never on a guess — and a device whose lookup failed is protected from automatic
// containment (fail closed). Runs recorded before this keep acting on the detection's id (patches).
import type { Device } from '../core/detection';
import { emptyEnrichment, type DeviceEnrichment, type IncidentSummary } from '../core/defender-effects';
import { rootCause, StepFailureReason } from '../core/failures';
import type { StepIR } from '../core/ir';
import type { RunContext } from './context';
import { incidentReadKey, lookupKey } from './keys';

/** Per-device Defender steps resolve the machine first (before: the detection's device id as given). */
export const MACHINE_RESOLUTION_PATCH = 'defender-machine-resolution';
/** The run reads the Defender incidents of its detections into its state (before: not read). */
export const INCIDENT_READ_PATCH = 'defender-incident-read';

/**
 * Finds device `d`'s machine once per run: later steps (and concurrent elements) share the answer. An
 * activity that failed for good (permission, outage past its retries) is recorded as `failed`.
 */
export function resolveMachine(ctx: RunContext, step: StepIR, d: Device): Promise<DeviceEnrichment> {
  let p = ctx.lookups.get(d.id);
  if (!p) {
    p = ctx.rt.effects
      .defenderLookupMachine({
        key: lookupKey(ctx.workflowId, d),
        run: ctx.runRef(step),
        device: { id: d.id, ...(d.name ? { name: d.name } : {}), ...(d.ip ? { ip: d.ip } : {}) },
        detectedAt: detectedAt(ctx, d),
      })
      .then(
        (r) => r.mde,
        (err: unknown): DeviceEnrichment => ({
          ...emptyEnrichment('failed'),
          error: `machine lookup failed: ${rootCause(err)}`,
        }),
      )
      .then((mde) => {
        ctx.mde.set(d.id, mde);
        ctx.changed();
        return mde;
      });
    ctx.lookups.set(d.id, p);
  }
  return p;
}

/** The time of the detection that brought the device (findbyip looks around it). */
function detectedAt(ctx: RunContext, d: Device): string {
  const det = ctx.detections.find((x) => x.devices?.some((y) => y.id === d.id)) ?? ctx.input.detection;
  return det.detected_at;
}

/**
 * The machine id a per-device action uses, or why it must not act: not found / ambiguous (the
 * candidates named). A failed lookup fails closed: containment is refused as for a protected device
 * unless a person approved it in this run and the detection gave a machine id; other actions have no
 * machine to act on. A dry run (no tenant) acts on the id as given.
 */
export function machineFor(
  d: Device,
  mde: DeviceEnrichment,
  containment: boolean,
  humanApproved: boolean,
): { id: string } | { refused: string } {
  switch (mde.status) {
    case 'found':
      return { id: mde.id };
    case 'dry_run':
    case '':
      return { id: d.id };
    case 'failed':
      if (containment) {
        if (humanApproved && MDE_ID.test(d.id)) return { id: d.id };
        return { refused: `${StepFailureReason.Protected}: ${mde.error}` };
      }
      return { refused: mde.error };
    default:
      return { refused: mde.error || `machine lookup: ${mde.status}` };
  }
}

/** A Defender machine id: 40 hex digits (reference §15.8). */
const MDE_ID = /^[0-9a-f]{40}$/i;

/** Reads the incidents of the run's detections not read yet; an error is kept beside them, never fatal. */
export async function readIncidents(ctx: RunContext, step?: StepIR): Promise<void> {
  const ids = [...new Set(ctx.detections.map((x) => x.incident_id).filter((x): x is string => !!x))];
  for (const id of ids) {
    if (ctx.incidentsRead.has(id)) continue;
    ctx.incidentsRead.add(id);
    try {
      const r = await ctx.rt.effects.defenderReadIncident({
        key: incidentReadKey(ctx.workflowId, id),
        run: step ? ctx.runRef(step) : { ...ctx.runRef(ctx.input.ir.steps[0]), stepId: '' },
        incidentId: id,
      });
      if (r.incident) upsertIncident(ctx.incidents, r.incident);
      else if (r.error) ctx.incidentErrors.push({ id, error: r.error });
    } catch (err) {
      ctx.incidentErrors.push({ id, error: rootCause(err) });
    }
    ctx.changed();
  }
}

function upsertIncident(list: IncidentSummary[], inc: IncidentSummary): void {
  const i = list.findIndex((x) => x.id === inc.id);
  if (i >= 0) list[i] = inc;
  else list.push(inc);
}
