// `nightshift simulate PLAYBOOK --detection FILE --at INSTANT …` (spec §6).
import {
  parseScriptedTenant,
  ScriptedDefender,
  ScriptedTenantError,
} from '../integrations/defender/scripted';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic, loadProject } from '../compiler';
import { parseDuration } from '../core/duration';
import { parseDetection } from '../intake/formats/generic';
import { simulate, type SimulationReport } from '../simulator/simulate';

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

const USAGE =
  'usage: nightshift simulate PLAYBOOK --detection FILE --at INSTANT [--config FILE] [--approval approved|denied|none] ' +
  '[--approval-after DURATION] [--approver PERSON] [--ack none|DURATION] [--defender FILE] [--json]';

class BadArgument extends Error {}

function instant(s: string): Date {
  // An instant needs its zone: "2026-11-22T03:00:00Z" or "…+01:00"; a bare local time is ambiguous.
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) ||
    Number.isNaN(Date.parse(s))
  ) {
    throw new BadArgument(`--at "${s}" is not an ISO-8601 instant with a zone, e.g. 2026-11-22T03:00:00Z`);
  }
  return new Date(s);
}

function duration(flag: string, s: string): number {
  const ms = parseDuration(s);
  if (ms === null) throw new BadArgument(`${flag} "${s}" is not a duration such as 30s, 15m, 1h30m or 2d`);
  return ms;
}

export async function runSimulate(argv: string[], io: CliIO): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        detection: { type: 'string' },
        at: { type: 'string' },
        config: { type: 'string' },
        approval: { type: 'string' },
        'approval-after': { type: 'string' },
        approver: { type: 'string' },
        ack: { type: 'string' },
        defender: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.err(`nightshift simulate: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  let at: Date;
  let approvalAfterMs = 60_000;
  let ackAfterMs: number | null = null;
  const approval = (values.approval ?? 'approved') as 'approved' | 'denied' | 'none';
  try {
    if (positionals.length !== 1) throw new BadArgument('give exactly one PLAYBOOK file');
    if (!values.detection) throw new BadArgument('--detection FILE is required');
    if (!values.at) throw new BadArgument('--at INSTANT is required');
    at = instant(values.at);
    if (!['approved', 'denied', 'none'].includes(approval)) {
      throw new BadArgument(`--approval "${values.approval}" must be approved, denied or none`);
    }
    if (values['approval-after'] !== undefined)
      approvalAfterMs = duration('--approval-after', values['approval-after']);
    if (values.ack !== undefined && values.ack !== 'none') ackAfterMs = duration('--ack', values.ack);
  } catch (err) {
    if (!(err instanceof BadArgument)) throw err;
    io.err(`nightshift simulate: ${err.message}\n${USAGE}`);
    return 2;
  }

  const playbookArg = positionals[0];
  const playbookFile = path.resolve(io.cwd, playbookArg);
  const detectionFile = path.resolve(io.cwd, values.detection);
  for (const [flag, file] of [
    ['PLAYBOOK', playbookFile],
    ['--detection', detectionFile],
  ] as const) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      io.err(
        `nightshift simulate: ${flag} ${file === playbookFile ? playbookArg : values.detection}: no such file\n${USAGE}`,
      );
      return 2;
    }
  }

  const config = values.config ?? 'nightshift.yaml';
  const loaded = loadProject({ config: path.resolve(io.cwd, config), paths: [playbookFile] });
  const shown = (f: string) =>
    f === playbookFile ? playbookArg : f === path.resolve(io.cwd, config) ? config : f;
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !loaded.org || loaded.playbooks.length !== 1) {
    for (const d of errors) io.err(formatDiagnostic({ ...d, file: shown(d.file) }));
    if (errors.length === 0) io.err(`${playbookArg}: error: no playbook loaded`);
    return 1;
  }
  const org = loaded.org;
  const ir = loaded.playbooks[0];

  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(detectionFile, 'utf8'));
  } catch (err) {
    io.err(`${values.detection}:1:1: error: not valid JSON: ${(err as Error).message}`);
    return 1;
  }
  // A detection without detected_at was detected at the simulated instant.
  const parsed = parseDetection(raw, { now: at });
  if (!parsed.detection) {
    for (const e of parsed.errors) io.err(`${values.detection}:1:1: error: ${e.path}: ${e.message}`);
    return 1;
  }

  if (values.approver !== undefined && !org.people[values.approver]) {
    io.err(`nightshift simulate: --approver "${values.approver}" is not a person in ${config}\n${USAGE}`);
    return 2;
  }

  // The scripted Defender tenant: machines, hunt rows, incidents, script outcomes (docs/defender.md).
  let defender: ScriptedDefender | undefined;
  if (values.defender !== undefined) {
    const file = path.resolve(io.cwd, values.defender);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      io.err(`nightshift simulate: --defender ${values.defender}: no such file\n${USAGE}`);
      return 2;
    }
    try {
      defender = new ScriptedDefender(parseScriptedTenant(fs.readFileSync(file, 'utf8'), values.defender));
    } catch (err) {
      if (!(err instanceof ScriptedTenantError)) throw err;
      io.err(err.message);
      return 1;
    }
  }

  const report = await simulate(ir, org, parsed.detection, {
    defender,
    at,
    approval,
    approvalAfterMs,
    approver: values.approver,
    ackAfterMs,
  });
  io.out(values.json ? JSON.stringify(report, null, 2) : human(report));
  return 0;
}

function human(r: SimulationReport): string {
  const lines = [`${r.playbook} v${r.version}: ${r.outcome} (${r.started_at} → ${r.finished_at})`];
  if (!r.matched) return lines.concat('  the detection does not match on.detection.when').join('\n');
  lines.push('steps:');
  for (const s of r.steps) {
    const extra = Object.entries(s)
      .filter(([k]) => !['id', 'status', 'started_at', 'finished_at', 'actions'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    lines.push(`  ${s.id.padEnd(20)} ${s.status.padEnd(10)} ${extra}`.trimEnd());
  }
  lines.push('effects:');
  for (const e of r.effects) {
    // An escalating approval's later stages say which stage each ask belongs to.
    const stage = typeof e.detail?.stage === 'number' ? `  (stage ${e.detail.stage})` : '';
    lines.push(
      `  ${e.at}  ${e.kind.padEnd(26)} ${(e.target ?? e.device ?? '').padEnd(10)}${stage}`.trimEnd(),
    );
  }
  for (const [id, q] of Object.entries(r.queries ?? {}))
    lines.push(`query ${id}:`, ...q.split('\n').map((l) => `  ${l}`));
  for (const x of r.refused) lines.push(`refused: ${x.at} ${x.kind} answer by ${x.person}: ${x.reason}`);
  return lines.join('\n');
}
