// A playbook test file (`playbooks/tests/*.yaml`, format in playbooks/README.md "Testing playbooks"),
// read with the compiler's own YAML machinery: hardened parsing, every problem at file:line:col.
import path from 'node:path';
import { isMap, isScalar } from 'yaml';
import type { Node } from 'yaml';
import type { Diagnostic } from '../../compiler';
import { parseSource } from '../../compiler/source';
import { didYouMean } from '../../compiler/suggest';
import { Walker, type Entry } from '../../compiler/walk';
import { parseDuration } from '../../core/duration';
import type { ScriptedAck, ScriptedAnswer } from '../../simulator/simulate';

/** A detection: a JSON file (path resolved from the test file), or a mapping (laid over the file's). */
export type DetectionSource = { file: string } | { inline: Record<string, unknown> };

export interface Expectations {
  outcome?: string;
  steps?: Record<string, Record<string, unknown>>;
  effects?: Array<Record<string, unknown>>;
  refused?: Array<Record<string, unknown>>;
}

export interface TestCase {
  name: string;
  /** "file:line:col" of the case, for reports. */
  at: string;
  /** Index in `cases` (for --update). */
  index: number;
  start: Date;
  detection?: DetectionSource;
  /** Rotation → person on call for the whole case. */
  oncall: Record<string, string>;
  answers: ScriptedAnswer[];
  acks: ScriptedAck[];
  expect: Expectations;
}

export interface TestFile {
  file: string;
  playbook: string;
  config?: string;
  /** A scripted Defender tenant (the file of `simulate --defender`): machines, hunt rows, incidents. */
  defender?: string;
  detection?: DetectionSource;
  cases: TestCase[];
}

const TOP = ['playbook', 'config', 'defender', 'detection', 'cases'];
const CASE = ['name', 'at', 'detection', 'oncall', 'answers', 'acks', 'expect'];
const ANSWER = ['step', 'by', 'after', 'answer', 'via'];
const ACK = ['step', 'by', 'after', 'via'];
const EXPECT = ['outcome', 'steps', 'effects', 'refused'];
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads a test file; `tests` is absent when it has errors (all reported). */
export function readTestFile(file: string, text: string): { tests?: TestFile; diagnostics: Diagnostic[] } {
  const src = parseSource(file, text);
  const { rep } = src;
  if (!src.root) return { diagnostics: rep.diagnostics };
  const w = new Walker(rep, src.doc, src.text);
  const top = w.map(src.root, 'the test file', 0, TOP, ['playbook', 'cases']);
  if (!top) return { diagnostics: rep.diagnostics };
  const dir = path.dirname(file);
  const rel = (s: string | null) => (s === null ? undefined : path.resolve(dir, s));
  const playbook = rel(w.str(top.get('playbook'), 'playbook'));
  const config = rel(w.str(top.get('config'), 'config'));
  const defender = rel(w.str(top.get('defender'), 'defender'));
  const detection = top.has('detection')
    ? detectionOf(w, top.get('detection')!, 'detection', dir)
    : undefined;

  const cases: TestCase[] = [];
  const names = new Set<string>();
  (w.seq(top.get('cases'), 'cases') ?? []).forEach((node, index) => {
    const what = `cases[${index}]`;
    const m = w.map(node, what, w.pos(node), CASE, ['name', 'at', 'expect']);
    if (!m) return;
    const name = w.str(m.get('name'), `${what}.name`) ?? what;
    if (names.has(name)) rep.error(w.pos(m.get('name')?.value), `${what}.name: '${name}' is used twice`);
    names.add(name);
    const atText = w.str(m.get('at'), `${what}.at`);
    if (atText !== null && (!INSTANT.test(atText) || Number.isNaN(Date.parse(atText)))) {
      rep.error(
        w.pos(m.get('at')?.value),
        `${what}.at: '${atText}' is not an ISO-8601 instant with a zone, e.g. 2026-11-22T03:00:00Z`,
      );
    }
    const oncall: Record<string, string> = {};
    for (const [rot, e] of m.has('oncall')
      ? (w.map(m.get('oncall')!.value, `${what}.oncall`, m.get('oncall')!.keyAt, null) ?? [])
      : []) {
      const person = w.str(e, `${what}.oncall.${rot}`);
      if (person !== null) oncall[rot] = person;
    }
    cases.push({
      name,
      at: rep.at(w.pos(node)),
      index,
      start: new Date(atText ?? 0),
      detection: m.has('detection')
        ? detectionOf(w, m.get('detection')!, `${what}.detection`, dir)
        : undefined,
      oncall,
      answers: scripted(w, m.get('answers'), `${what}.answers`, ANSWER).map((a) => ({
        step: a.step,
        by: a.by,
        afterMs: a.afterMs,
        outcome: (a.answer ?? 'approved') as 'approved' | 'denied',
        ...(a.via ? { channel: a.via } : {}),
      })),
      acks: scripted(w, m.get('acks'), `${what}.acks`, ACK).map((a) => ({
        step: a.step,
        by: a.by,
        afterMs: a.afterMs,
        ...(a.via ? { channel: a.via } : {}),
      })),
      expect: expectations(w, m.get('expect'), `${what}.expect`),
    });
  });
  if (rep.failed || !playbook) return { diagnostics: rep.diagnostics };
  return {
    tests: {
      file,
      playbook,
      ...(config ? { config } : {}),
      ...(defender ? { defender } : {}),
      ...(detection ? { detection } : {}),
      cases,
    },
    diagnostics: rep.diagnostics,
  };
}

function detectionOf(w: Walker, e: Entry, what: string, dir: string): DetectionSource | undefined {
  if (e.value && isMap(e.value)) return { inline: e.value.toJS(w.doc) as Record<string, unknown> };
  const s = w.str(e, `${what} (a JSON file or a mapping)`);
  return s === null ? undefined : { file: path.resolve(dir, s) };
}

/** Scripted answers or acknowledgements: `{ step, by, after, answer?, via? }`. */
function scripted(
  w: Walker,
  e: Entry | undefined,
  what: string,
  keys: string[],
): Array<{ step: string; by: string; afterMs: number; answer?: string; via?: string }> {
  const out: Array<{ step: string; by: string; afterMs: number; answer?: string; via?: string }> = [];
  (w.seq(e, what) ?? []).forEach((node, i) => {
    const m = w.map(node, `${what}[${i}]`, w.pos(node), keys, ['step', 'by', 'after']);
    if (!m) return;
    const step = w.str(m.get('step'), `${what}[${i}].step`);
    const by = w.str(m.get('by'), `${what}[${i}].by`);
    const afterText = w.str(m.get('after'), `${what}[${i}].after`);
    const afterMs = afterText === null ? null : parseDuration(afterText);
    if (afterText !== null && afterMs === null)
      w.rep.error(
        w.pos(m.get('after')?.value),
        `${what}[${i}].after: '${afterText}' is not a duration (like 0s, 90s, 5m)`,
      );
    const answer = m.has('answer') ? w.str(m.get('answer'), `${what}[${i}].answer`) : undefined;
    if (answer && answer !== 'approved' && answer !== 'denied')
      w.rep.error(
        w.pos(m.get('answer')?.value),
        `${what}[${i}].answer: '${answer}' is not one of approved, denied${didYouMean(answer, ['approved', 'denied'])}`,
      );
    const via = m.has('via') ? w.str(m.get('via'), `${what}[${i}].via`) : undefined;
    if (step !== null && by !== null && afterMs !== null)
      out.push({ step, by, afterMs, ...(answer ? { answer } : {}), ...(via ? { via } : {}) });
  });
  return out;
}

function expectations(w: Walker, e: Entry | undefined, what: string): Expectations {
  if (!e) return {};
  const m = w.map(e.value, what, e.keyAt, EXPECT);
  if (!m) return {};
  const js = (x: Entry | undefined): unknown => (x?.value ? (x.value as Node).toJSON() : undefined);
  const out: Expectations = {};
  if (m.has('outcome')) {
    const o = w.str(m.get('outcome'), `${what}.outcome`);
    const outcomes = ['completed', 'failed', 'not_matched'];
    if (o !== null && !outcomes.includes(o))
      w.rep.error(
        w.pos(m.get('outcome')?.value),
        `${what}.outcome: '${o}' is not one of ${outcomes.join(', ')}`,
      );
    if (o !== null) out.outcome = o;
  }
  if (m.has('steps')) {
    const steps: Record<string, Record<string, unknown>> = {};
    for (const [id, x] of w.map(m.get('steps')!.value, `${what}.steps`, m.get('steps')!.keyAt, null) ?? []) {
      if (!x.value || !isMap(x.value))
        w.rep.error(w.pos(x.value, x.keyAt), `${what}.steps.${id} must be a mapping of result fields`);
      else steps[id] = js(x) as Record<string, unknown>;
    }
    out.steps = steps;
  }
  for (const key of ['effects', 'refused'] as const) {
    if (!m.has(key)) continue;
    const items = w.seq(m.get(key), `${what}.${key}`) ?? [];
    const list: Array<Record<string, unknown>> = [];
    items.forEach((node, i) => {
      if (!isMap(node)) {
        w.rep.error(w.pos(node), `${what}.${key}[${i}] must be a mapping`);
        return;
      }
      const v = node.toJSON() as Record<string, unknown>;
      const at = node.get('at', true);
      if (v.at !== undefined && (typeof v.at !== 'string' || parseDuration(v.at) === null))
        w.rep.error(
          w.pos(isScalar(at) ? at : node),
          `${what}.${key}[${i}].at: '${String(v.at)}' is not a duration after the case's start (like 0s, 5m)`,
        );
      list.push(v);
    });
    out[key] = list;
  }
  return out;
}
