// A Runtime for step handlers under test: the virtual clock of `nightshift simulate` (timers fire in
// order, instantly), and effects that record every request and answer as each test scripts them.
import { emptyEnrichment } from '../../../core/defender-effects';
import { VirtualClock } from '../../../simulator/virtual-clock';
import type { Detection } from '../../../core/detection';
import type { OrgIR, PlaybookIR, StepIR, StepKindIR } from '../../../core/ir';
import type { StepResult } from '../../../core/run';
import { RunContext } from '../../../engine/context';
import type { Element } from '../../../engine/keys';
import type { Effects, Runtime } from '../../../engine/runtime';
import { STEP_HANDLERS } from '../../../engine/steps';
import type { StepKind, StepKindHandler } from '../../../engine/steps/types';

export const AT = new Date('2026-11-22T03:00:00.000Z');

export const ORG: OrgIR = {
  irVersion: 1,
  calendars: {},
  people: {
    ana: { id: 'ana', name: 'Ana Ruiz', slack: 'U1', phone: '+15555550101', email: 'ana@example.com' },
    bo: { id: 'bo', name: 'Bo Chen', phone: '+15555550102' },
    cy: { id: 'cy', name: 'Cy Diaz', email: 'cy@example.com' },
  },
  rotations: {
    primary: {
      timezone: 'UTC',
      every: { unit: 'w', n: 1 },
      handoff: '2026-01-05T09:00',
      members: ['bo'],
      overrides: [],
    },
  },
  groups: { leads: ['ana', 'cy'] },
  channels: { soc: { kind: 'slack', channel: 'C-SOC' } },
  policy: {},
  hash: 'org',
};

export const DETECTION: Detection = {
  id: 'det-1',
  source: 'generic',
  title: 'Mimikatz',
  severity: 'high',
  status: 'confirmed',
  mitre: [],
  alert_ids: ['al-1', 'al-2'],
  detected_at: AT.toISOString(),
  devices: [
    { id: 'm-1', name: 'laptop-1', tags: [] },
    { id: 'm-2', name: 'dc-1', tags: ['domain-controller'] },
  ],
  users: [],
  evidence: { files: [], processes: [], ips: [], urls: [] },
};

/** A text template (`${{ expr }}` parts as expressions). */
export function tpl(...parts: Array<string | { expr: string }>) {
  return {
    parts: parts.map((p) => (typeof p === 'string' ? p : { src: p.expr, at: 'test.yaml:1:1' })),
    at: 'test.yaml:1:1',
  };
}

export function step(id: string, run: StepKindIR, extra: Partial<StepIR> = {}): StepIR {
  return { id, continueOnError: false, at: 'test.yaml:1:1', run, ...extra };
}

export interface Call {
  effect: keyof Effects;
  req: unknown;
  at: string;
}

export interface Fake {
  clock: VirtualClock;
  calls: Call[];
  ctx: RunContext;
  rt: Runtime;
  refusals: Array<{ stepId: string; deviceId: string }>;
  /** Runs element `el` (number `n`) of `s` through its kind's handler, driving the clock to the end. */
  run(s: StepIR, el?: Element, n?: number): Promise<StepResult>;
}

/** `answers` replaces the default answer of an effect (default: succeed at once). */
export function fakeRuntime(opts: { org?: OrgIR; answers?: Partial<Effects>; steps?: StepIR[] } = {}): Fake {
  const clock = new VirtualClock(AT);
  const calls: Call[] = [];
  const refusals: Fake['refusals'] = [];
  const record =
    <K extends keyof Effects>(effect: K, answer: Effects[K]) =>
    (...args: Parameters<Effects[K]>) => {
      calls.push({ effect, req: args[0], at: clock.now().toISOString() });
      return (answer as (...a: Parameters<Effects[K]>) => ReturnType<Effects[K]>)(...args);
    };
  const defaults: Effects = {
    notify: async (req) => ({ channel: 'slack', target: req.key, dryRun: true }),
    askApproval: async (req) => ({ channel: 'slack', target: req.key, ref: 'ts-1', dryRun: false }),
    approvalResolved: async () => undefined,
    page: async (req) => ({ channel: req.via, target: req.person.id, dryRun: true }),
    webhook: async () => ({ httpStatus: 200, body: { ok: true } }),
    defenderSubmit: async (req) => ({
      actionId: `act-${req.machineId}`,
      status: 'Pending',
      attached: false,
      dryRun: false,
    }),
    defenderAwait: async () => 'Succeeded',
    reserveIsolation: async () => true,
    releaseIsolation: async () => undefined,
    // Without a tenant a lookup answers dry_run: the device acts under the id the detection gave.
    defenderLookupMachine: async () => ({ mde: emptyEnrichment('dry_run'), dryRun: true }),
    defenderHunt: async () => ({ columns: [], rows: [], row_count: 0, truncated: false, dryRun: true }),
    defenderEnsureScript: async (req) => ({
      fileName: `nightshift-${req.action}`,
      sha256: '',
      uploaded: false,
      dryRun: true,
    }),
    defenderRunScript: async (req) => ({ actionId: `lr-${req.machineId}`, status: 'Pending', dryRun: false }),
    defenderScriptResult: async () => ({
      script_name: 'nightshift-kill-process.ps1',
      exit_code: 0,
      outcome: 'killed',
      detail: {},
      output: '',
      errors: '',
    }),
    defenderReadIncident: async () => ({ dryRun: true }),
    defenderUpdateIncident: async (req) => ({ updated: req.incidentIds, dryRun: false }),
  };
  const answers = { ...defaults, ...opts.answers };
  const effects = Object.fromEntries(
    (Object.keys(defaults) as Array<keyof Effects>).map((k) => [k, record(k, answers[k] as never)]),
  ) as unknown as Effects;
  const rt: Runtime = {
    now: () => clock.now(),
    waitFor: (ready, ms) => clock.waitFor(ready, ms),
    sleep: (ms) => clock.sleep(ms),
    random: () => 0.5,
    workflowId: 'wf-1',
    patched: () => true,
    effects,
    onBlastRadiusRefused: (r) => refusals.push(r),
  };
  const ir: PlaybookIR = {
    irVersion: 1,
    name: 'test-playbook',
    version: 2,
    enabled: true,
    file: 'test.yaml',
    on: { when: { src: 'true', at: 'test.yaml:1:1' }, groupBy: 'detection' },
    steps: opts.steps ?? [],
    hash: 'pb',
  };
  const ctx = new RunContext({ ir, org: opts.org ?? ORG, detection: DETECTION, groupKey: 'det-1' }, rt);
  ctx.addDetection(DETECTION);
  return {
    clock,
    calls,
    ctx,
    rt,
    refusals,
    async run(s, el = {}, n = 0) {
      const handler = STEP_HANDLERS[s.run.kind] as StepKindHandler<StepKind>;
      let result: StepResult | undefined;
      let failure: unknown;
      const running = handler.run(ctx, s, s.run, el, n).then(
        (r) => void (result = r),
        (e) => void (failure = e),
      );
      await clock.run(() => result !== undefined || failure !== undefined);
      await running;
      if (failure) throw failure;
      return result as StepResult;
    },
  };
}

/** The requests made of one effect, in order. */
export function requests<T>(f: Fake, effect: keyof Effects): T[] {
  return f.calls.filter((c) => c.effect === effect).map((c) => c.req as T);
}
