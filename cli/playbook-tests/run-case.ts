// One test case: the playbook run by `simulate`'s engine (the real interpreter on the virtual clock) with
// the case's detection, instant, on-call overrides and scripted answers; then what was observed compared
// with what the case expects (a subset match: only the fields written are compared).
import { isDeepStrictEqual } from 'node:util';
import type { Detection } from '../../core/detection';
import { formatDuration } from '../../core/duration';
import type { OrgIR, PlaybookIR } from '../../core/ir';
import { simulate, type SimulationReport } from '../../simulator/simulate';
import type { ScriptedDefender } from '../../integrations/defender/scripted';
import type { Expectations, TestCase } from './test-file';

export interface CaseResult {
  observed: Required<Expectations>;
  /** One line per difference; empty when the case passes. */
  diff: string[];
}

export async function runCase(
  ir: PlaybookIR,
  org: OrgIR,
  detection: Detection,
  c: TestCase,
  defender?: ScriptedDefender,
): Promise<CaseResult> {
  const report = await simulate(ir, withOnCall(org, c.oncall), detection, {
    at: c.start,
    approval: 'none',
    approvalAfterMs: 0,
    ackAfterMs: null,
    answers: c.answers,
    acks: c.acks,
    ...(defender ? { defender } : {}),
  });
  const observed = observe(report, c.start);
  return { observed, diff: compare(c.expect, observed) };
}

/** The org with each named rotation's on-call replaced for the whole case. */
function withOnCall(org: OrgIR, oncall: Record<string, string>): OrgIR {
  if (Object.keys(oncall).length === 0) return org;
  const rotations = { ...org.rotations };
  for (const [rot, person] of Object.entries(oncall)) {
    rotations[rot] = {
      ...rotations[rot],
      overrides: [{ person, from: '0001-01-01T00:00', to: '9999-12-31T00:00' }],
    };
  }
  return { ...org, rotations };
}

/** What a run did, in the form test files write it: times as durations after the case's start. */
export function observe(r: SimulationReport, start: Date): Required<Expectations> {
  const after = (iso: string) => formatDuration(Date.parse(iso) - start.getTime());
  const steps: Record<string, Record<string, unknown>> = {};
  for (const s of r.steps) {
    const { id, started_at: _s, finished_at: _f, ...rest } = s;
    steps[id] = rest;
  }
  return {
    outcome: r.outcome,
    steps,
    effects: r.effects.map((e) => ({
      at: after(e.at),
      kind: e.kind,
      ...(e.target ? { target: e.target } : {}),
      ...(e.device ? { device: e.device } : {}),
      ...(typeof e.detail?.stage === 'number' ? { stage: e.detail.stage } : {}),
    })),
    refused: r.refused.map((x) => ({ at: after(x.at), kind: x.kind, person: x.person, reason: x.reason })),
  };
}

const show = (v: unknown) => JSON.stringify(v);
const line = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : show(v)}`)
    .join(', ');

/** Differences between what a case expects and what was observed, one readable line each. */
export function compare(expect: Expectations, got: Required<Expectations>): string[] {
  const diff: string[] = [];
  if (expect.outcome !== undefined && expect.outcome !== got.outcome)
    diff.push(`outcome: expected ${expect.outcome}, got ${got.outcome}`);
  for (const [id, fields] of Object.entries(expect.steps ?? {})) {
    const s = got.steps[id];
    if (!s) {
      diff.push(`steps.${id}: no such step (steps: ${Object.keys(got.steps).join(', ')})`);
      continue;
    }
    for (const [k, v] of Object.entries(fields)) {
      if (!isDeepStrictEqual(s[k], v)) diff.push(`steps.${id}.${k}: expected ${show(v)}, got ${show(s[k])}`);
    }
  }
  for (const key of ['effects', 'refused'] as const) {
    const want = expect[key];
    if (!want) continue;
    // In order, each expected item matching a later observed one on the fields it writes.
    let from = 0;
    for (const [i, w] of want.entries()) {
      const j = got[key].findIndex(
        (o, k) => k >= from && Object.entries(w).every(([f, v]) => isDeepStrictEqual(o[f], v)),
      );
      if (j < 0) {
        diff.push(`${key}[${i}]: expected { ${line(w)} }${i ? ' after the one before' : ''}; observed:`);
        for (const o of got[key]) diff.push(`    { ${line(o)} }`);
        break;
      }
      from = j + 1;
    }
  }
  return diff;
}
