// A scripted Defender tenant for `nightshift simulate --defender FILE` (and `nightshift test`): what the
// tenant would answer, written down — its machines, the rows of each hunt step, its incidents, what each
// live response script reports. Lookups run the very rules of the live lookup (lookupPlan, nameMatches,
// pickMachine) over the scripted machines, so a simulation resolves, refuses and enriches devices as a
// real run would. Nothing here calls anything.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type {
  DeviceEnrichment,
  HuntColumnType,
  HuntResult,
  IncidentReadResult,
  LiveResponseAction,
  ScriptOutcome,
} from '../../core/defender-effects';
import { emptyEnrichment } from '../../core/defender-effects';
import { readHuntResult } from './hunting';
import { incidentSummary, type XdrIncident } from './incidents';
import {
  describeCandidates,
  enrichment,
  lookupPlan,
  nameMatches,
  pickMachine,
  type MdeMachine,
} from './machines';

const text = (max = 300) => z.string().max(max);
const HEX40 = /^[0-9a-f]{40}$/i;

const machineSchema = z
  .object({
    id: z.string().regex(HEX40, 'must be a Defender machine id (40 hex digits)'),
    name: text(255),
    tags: z.array(text(200)).max(50).default([]),
    group: text().optional(),
    group_id: z.number().int().optional(),
    health: z
      .enum([
        'Active',
        'Inactive',
        'ImpairedCommunication',
        'NoSensorData',
        'NoSensorDataImpairedCommunication',
        'Unknown',
      ])
      .default('Active'),
    onboarding: z
      .enum(['Onboarded', 'CanBeOnboarded', 'Unsupported', 'InsufficientInfo'])
      .default('Onboarded'),
    merged_into: z.string().regex(HEX40, 'must be a Defender machine id (40 hex digits)').optional(),
    os: text(100).default('Windows11'),
    os_version: text(100).optional(),
    ip: text(60).optional(),
    risk: z.enum(['None', 'Informational', 'Low', 'Medium', 'High']).optional(),
    exposure: z.enum(['None', 'Low', 'Medium', 'High']).optional(),
    value: z.enum(['Normal', 'Low', 'High']).optional(),
    last_seen: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

const scriptSchema = z
  .object({
    exit_code: z.number().int().default(0),
    outcome: text(40).optional(),
    output: text(4000).default(''),
    errors: text(4000).default(''),
    /** The machine action's final state; anything but Succeeded means the script did not run. */
    status: z.enum(['Succeeded', 'Failed', 'TimeOut', 'Cancelled']).default('Succeeded'),
  })
  .strict();

export const scriptedTenantSchema = z
  .object({
    machines: z.array(machineSchema).max(10_000).optional(),
    /** Step id → the rows every run of that hunt step returns. */
    hunts: z.record(z.string(), z.array(z.record(z.string(), z.unknown())).max(100_000)).default({}),
    /** Incident id → the incident as GET /api/incidents/{id} returns it. */
    incidents: z
      .record(z.string().regex(/^\d{1,19}$/, 'incident ids are numbers'), z.record(z.string(), z.unknown()))
      .default({}),
    /** Step id → what its live response script reports (default: exit 0, killed / deleted). */
    scripts: z.record(z.string(), scriptSchema).default({}),
  })
  .strict();

export type ScriptedTenant = z.infer<typeof scriptedTenantSchema>;
type ScriptedMachine = z.infer<typeof machineSchema>;

/** A bad scripted-tenant file: one line per problem, naming the file and the field. */
export class ScriptedTenantError extends Error {
  override name = 'ScriptedTenantError';
}

/** Reads a scripted tenant (YAML, JSON being YAML too). */
export function parseScriptedTenant(source: string, file: string): ScriptedTenant {
  let doc: unknown;
  try {
    doc = parseYaml(source, { maxAliasCount: 100, uniqueKeys: true }) ?? {};
  } catch (err) {
    throw new ScriptedTenantError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = scriptedTenantSchema.safeParse(doc);
  if (!r.success) {
    const lines = r.error.issues.map(
      (i) => `${file}: ${i.path.length ? i.path.join('.') : '(top)'}: ${i.message}`,
    );
    throw new ScriptedTenantError(lines.join('\n'));
  }
  return r.data;
}

function record(m: ScriptedMachine, now: Date): MdeMachine {
  return {
    id: m.id.toLowerCase(),
    computerDnsName: m.name,
    machineTags: m.tags,
    rbacGroupName: m.group ?? null,
    rbacGroupId: m.group_id ?? 0,
    healthStatus: m.health,
    onboardingStatus: m.onboarding,
    mergedIntoMachineId: m.merged_into?.toLowerCase() ?? null,
    osPlatform: m.os,
    version: m.os_version ?? null,
    lastIpAddress: m.ip ?? null,
    riskScore: m.risk ?? null,
    exposureLevel: m.exposure ?? null,
    deviceValue: m.value ?? null,
    lastSeen: m.last_seen ?? now.toISOString(),
  };
}

const DEFAULT_OUTCOME: Record<LiveResponseAction, string> = {
  kill_process: 'killed',
  delete_file: 'deleted',
};

/** What the scripted tenant answers; `undefined` tenant = no file: lookups `dry_run`, no rows. */
export class ScriptedDefender {
  constructor(private readonly t?: ScriptedTenant) {}

  get hasMachines(): boolean {
    return this.t?.machines !== undefined;
  }

  /** The live lookup's rules over the scripted machines (findbyip's time window is not modelled). */
  lookup(
    device: { id: string; name?: string; ip?: string },
    detectedAt: string,
    now: Date,
  ): DeviceEnrichment {
    if (!this.t?.machines) return emptyEnrichment('dry_run');
    const all = this.t.machines.map((m) => record(m, now));
    const who = device.name || device.id;
    const plan = lookupPlan(device, detectedAt, now.getTime());
    for (const step of plan) {
      if (step.by === 'id') {
        let m = all.find((x) => x.id === step.id);
        for (let hops = 0; m?.mergedIntoMachineId && hops < 3; hops++) {
          const next = m.mergedIntoMachineId;
          m = all.find((x) => x.id === next);
        }
        if (m) return enrichment(m, 'id');
        continue;
      }
      const records =
        step.by === 'name'
          ? all.filter((m) => nameMatches(m.computerDnsName, step.name))
          : all.filter((m) => m.lastIpAddress === step.ip);
      const r = pickMachine(records, step.by === 'name' ? step.name : undefined);
      if (r.outcome === 'found') return enrichment(r.machine, step.by);
      if (r.outcome === 'ambiguous') {
        return {
          ...emptyEnrichment('ambiguous'),
          error: `${who} matches ${r.candidates.length} live Defender machines (by ${step.by}): ${describeCandidates(r.candidates)} — name the machine by its id`,
          candidates: r.candidates.slice(0, 10),
        };
      }
    }
    const how = plan.length
      ? `looked up by ${plan.map((s) => s.by).join(', then ')}`
      : 'no MDE id, host name or recent IP to look it up by';
    return {
      ...emptyEnrichment('not_found'),
      error: `no live, onboarded Defender machine matches ${who} (${how})`,
    };
  }

  hunt(stepId: string, limit: number, columns?: Record<string, HuntColumnType>): Omit<HuntResult, 'dryRun'> {
    const rows = this.t?.hunts[stepId] ?? [];
    return readHuntResult({ schema: [], results: rows }, limit, columns);
  }

  incident(id: string): IncidentReadResult {
    const inc = this.t?.incidents[id];
    if (!inc)
      return {
        dryRun: true,
        ...(this.t && Object.keys(this.t.incidents).length
          ? { error: `incident ${id} is not in the scripted tenant` }
          : {}),
      };
    return {
      incident: incidentSummary(
        { ...(inc as Partial<XdrIncident>), incidentId: id } as XdrIncident,
        'https://security.microsoft.com',
      ),
      dryRun: true,
    };
  }

  script(
    stepId: string,
    action: LiveResponseAction,
  ): { status: 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled'; outcome: ScriptOutcome } {
    const s = this.t?.scripts[stepId];
    const status = s?.status ?? 'Succeeded';
    const ran = status === 'Succeeded';
    return {
      status,
      outcome: {
        script_name: '',
        exit_code: ran ? (s?.exit_code ?? 0) : -1,
        outcome: ran ? (s?.outcome ?? ((s?.exit_code ?? 0) === 0 ? DEFAULT_OUTCOME[action] : 'failed')) : '',
        detail: {},
        output: s?.output ?? '',
        errors: s?.errors ?? '',
      },
    };
  }
}
