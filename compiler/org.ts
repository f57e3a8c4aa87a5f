// nightshift.yaml → OrgIR (spec §2).
import { keysOf, NAME_PATTERN, ORG_SHAPE, WINDOW_PATTERN } from './org-keys';
import { DateTime } from 'luxon';
import { isMap, isSeq } from 'yaml';
import type { Node } from 'yaml';
import { ExprChecker } from './check';
import type { Diagnostic } from './diagnostics';
import { policyEnvironment } from '../engine/expr/types';
import { irHash } from './hash';
import { expandPublicHolidays, parseHolidayCalendar } from './holidays';
import type {
  CalendarIR,
  ChannelIR,
  OrgIR,
  PersonIR,
  PolicyIR,
  RotationIR,
  Weekday,
  WindowIR,
} from '../core/ir';
import { CONSOLE_ROLES, IR_VERSION } from '../core/ir';
import { parseSource } from './source';
import { didYouMean } from './suggest';
import { parseDuration } from '../core/duration';
import { isValidZone } from '../engine/time/zone';
import type { Entry } from './walk';
import { Walker } from './walk';

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const S = ORG_SHAPE.keys;
const PERSON = keysOf(S.people.of);
const ROTATION = keysOf(S.rotations.of);
const OVERRIDE = keysOf(S.rotations.of.keys.overrides.of);
const POLICY = keysOf(S.policy);
const MAX_AUTO = keysOf(S.policy.keys.max_auto_isolations);
const CALENDAR = keysOf(S.calendars.of);
const CHANNEL = keysOf(S.channels.of);
const NAME = new RegExp(NAME_PATTERN);
const WINDOW = new RegExp(WINDOW_PATTERN);
const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function loadOrg(file: string, text: string): { org?: OrgIR; diagnostics: Diagnostic[] } {
  const src = parseSource(file, text);
  const { rep } = src;
  if (!src.root) return { diagnostics: rep.diagnostics };
  const w = new Walker(rep, src.doc, src.text);
  const top = w.map(src.root, 'nightshift.yaml', 0, keysOf(ORG_SHAPE).allowed);
  if (!top) return { diagnostics: rep.diagnostics };

  const named = (key: string): Array<[string, Entry]> => {
    const e = top.get(key);
    if (!e) return [];
    const m = w.map(e.value, key, e.keyAt, null);
    if (!m) return [];
    for (const [name, ent] of m) {
      if (!NAME.test(name)) rep.error(ent.keyAt, `${key}: name '${name}' must match [a-z][a-z0-9_-]*`);
    }
    return [...m];
  };

  // People first: rotations and groups refer to them.
  const people: Record<string, PersonIR> = {};
  const peopleAt = new Map<string, number>();
  const contactAt = new Map<string, number>();
  for (const [id, e] of named('people')) {
    peopleAt.set(id, e.keyAt);
    const m = w.map(e.value, `person '${id}'`, e.keyAt, PERSON.allowed, PERSON.required);
    if (!m) continue;
    const p: PersonIR = { id, name: w.str(m.get('name'), `person '${id}': name`) ?? id };
    for (const k of ['slack', 'phone', 'email', 'login'] as const) {
      const v = w.str(m.get(k), `person '${id}': ${k}`);
      if (v === null) continue;
      p[k] = v;
      contactAt.set(`${id}.${k}`, w.pos(m.get(k)?.value));
    }
    if (p.phone !== undefined && !/^\+[1-9]\d{6,14}$/.test(p.phone)) {
      rep.error(w.pos(m.get('phone')?.value), `person '${id}': phone must be E.164, like "+15555550101"`);
    }
    if (p.email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(p.email)) {
      rep.error(w.pos(m.get('email')?.value), `person '${id}': email '${p.email}' is not an email address`);
    }
    people[id] = p;
  }
  // A console sign-in names one person: a login may not be another person's login or email.
  const identities = new Map<string, string>();
  for (const p of Object.values(people))
    for (const v of [p.email, p.login])
      if (v && !identities.has(v.toLowerCase())) identities.set(v.toLowerCase(), p.id);
  for (const p of Object.values(people)) {
    const owner = p.login ? identities.get(p.login.toLowerCase()) : undefined;
    if (owner && owner !== p.id)
      rep.error(
        peopleAt.get(p.id) ?? 0,
        `person '${p.id}': login '${p.login}' is also the login or email of '${owner}': a console sign-in must name one person`,
      );
  }
  // An SMS reply or a call is mapped to a person by phone, a Slack click by Slack user id: each must name
  // one person, or an answer would be recorded as someone else's.
  for (const [k, answer] of [
    ['phone', 'an SMS reply or a call'],
    ['slack', 'a Slack click'],
  ] as const) {
    const owners = new Map<string, string>();
    for (const p of Object.values(people)) {
      const v = p[k];
      if (v === undefined) continue;
      const owner = owners.get(v);
      if (owner === undefined) owners.set(v, p.id);
      else
        rep.error(
          contactAt.get(`${p.id}.${k}`) ?? 0,
          `person '${p.id}': ${k} '${v}' is also ${owner}'s: ${answer} from it could not tell who answered`,
        );
    }
  }
  const personIds = Object.keys(people);
  const person = (v: { v: string; at: number }, what: string): boolean => {
    if (people[v.v]) return true;
    rep.error(v.at, `${what}: unknown person '${v.v}'${didYouMean(v.v, personIds)}`);
    return false;
  };

  const calendars: Record<string, CalendarIR> = {};
  for (const [name, e] of named('calendars')) {
    const cal = compileCalendar(w, name, e);
    if (cal) calendars[name] = cal;
  }

  const rotations: Record<string, RotationIR> = {};
  for (const [name, e] of named('rotations')) {
    const what = `rotation '${name}'`;
    const m = w.map(e.value, what, e.keyAt, ROTATION.allowed, ROTATION.required);
    if (!m) continue;
    const tz = zone(w, m.get('timezone'), what);
    const everyS = w.str(m.get('every'), `${what}: every`);
    const every = everyS === null ? null : /^([1-9]\d{0,2})([dw])$/.exec(everyS);
    if (everyS !== null && !every)
      rep.error(w.pos(m.get('every')?.value), `${what}: every must be days or weeks, like 1d, 1w or 2w`);
    const handoff = localDateTime(w, m.get('handoff'), `${what}: handoff`, tz);
    const members = (w.strList(m.get('members'), `${what}: members`) ?? []).filter((x) => person(x, what));
    const overrides: RotationIR['overrides'] = [];
    for (const o of w.seq(m.get('overrides'), `${what}: overrides`) ?? []) {
      const om = w.map(o, `${what}: override`, w.pos(o), OVERRIDE.allowed, OVERRIDE.required);
      if (!om) continue;
      const p = w.str(om.get('person'), `${what}: override person`);
      if (p !== null) person({ v: p, at: w.pos(om.get('person')?.value) }, `${what}: override`);
      const from = localDateTime(w, om.get('from'), `${what}: override from`, tz);
      const to = localDateTime(w, om.get('to'), `${what}: override to`, tz);
      if (from && to && tz && DateTime.fromISO(to, { zone: tz }) <= DateTime.fromISO(from, { zone: tz })) {
        rep.error(w.pos(om.get('to')?.value), `${what}: override ends (${to}) before it starts (${from})`);
      }
      if (p && from && to) overrides.push({ person: p, from, to });
    }
    if (tz && every && handoff && members.length) {
      rotations[name] = {
        timezone: tz,
        every: { unit: every[2] as 'd' | 'w', n: Number(every[1]) },
        handoff,
        members: members.map((x) => x.v),
        overrides,
      };
    }
  }

  const groups: Record<string, string[]> = {};
  for (const [name, e] of named('groups')) {
    const members = w.strList(e, `group '${name}'`);
    if (members)
      groups[name] = [...new Set(members.filter((x) => person(x, `group '${name}'`)).map((x) => x.v))];
  }

  const channels: Record<string, ChannelIR> = {};
  for (const [name, e] of named('channels')) {
    const ch = compileChannel(w, name, e);
    if (ch) channels[name] = ch;
  }

  // Targets (`to`, `ask`, `approvers`) name people, groups and channels in one namespace.
  const seen = new Map<string, string>();
  for (const [kind, key] of [
    ['person', 'people'],
    ['group', 'groups'],
    ['channel', 'channels'],
  ] as const) {
    for (const [name, e] of named(key)) {
      const other = seen.get(name);
      if (other)
        rep.error(e.keyAt, `'${name}' is both a ${other} and a ${kind}; targets must have one meaning`);
      else seen.set(name, kind);
    }
  }

  const policy: PolicyIR = {};
  const pe = top.get('policy');
  if (pe) {
    const m = w.map(pe.value, 'policy', pe.keyAt, POLICY.allowed);
    const pd = m?.get('protected_devices');
    if (pd) {
      const checker = new ExprChecker(w);
      const scope = { env: policyEnvironment(), earlier: [], all: [], calendars: [], rotations: [] };
      const expr = checker.expr(pd.value, pd.keyAt, scope, 'bool', 'policy.protected_devices');
      if (expr) policy.protectedDevices = expr;
    }
    const mai = m?.get('max_auto_isolations');
    if (mai) {
      const mm = w.map(
        mai.value,
        'policy.max_auto_isolations',
        mai.keyAt,
        MAX_AUTO.allowed,
        MAX_AUTO.required,
      );
      const count = w.int(mm?.get('count'), 'max_auto_isolations.count', 1);
      const per = duration(w, mm?.get('per'), 'max_auto_isolations.per');
      if (count !== null && per !== null) policy.maxAutoIsolations = { count, perMs: per };
    }
  }

  const roles = compileRoles(w, top.get('roles'), people, groups);

  if (rep.failed) return { diagnostics: rep.diagnostics };
  // Without `roles:` the IR (and its hash) is what it was before roles existed.
  const body = {
    irVersion: IR_VERSION,
    calendars,
    people,
    rotations,
    groups,
    channels,
    policy,
    ...(roles ? { roles } : {}),
  };
  return { org: { ...body, hash: irHash(body, []) }, diagnostics: rep.diagnostics };
}

function zone(w: Walker, e: Entry | undefined, what: string): string | null {
  const tz = w.str(e, `${what}: timezone`);
  if (tz === null) return null;
  if (!isValidZone(tz)) {
    w.rep.error(
      w.pos(e?.value),
      `${what}: unknown time zone '${tz}' (use an IANA name like America/Chicago)`,
    );
    return null;
  }
  return tz;
}

export function duration(w: Walker, e: Entry | undefined, what: string): number | null {
  const s = w.str(e, what);
  if (s === null) return null;
  const ms = parseDuration(s);
  if (ms === null || ms <= 0) {
    w.rep.error(w.pos(e?.value), `${what}: '${s}' is not a duration (like 30s, 15m, 1h30m, 2d)`);
    return null;
  }
  return ms;
}

function localDateTime(w: Walker, e: Entry | undefined, what: string, tz: string | null): string | null {
  const s = w.str(e, what);
  if (s === null) return null;
  if (!LOCAL_DATETIME.test(s) || !DateTime.fromISO(s, { zone: tz ?? 'UTC' }).isValid) {
    w.rep.error(w.pos(e?.value), `${what}: '${s}' is not a local date-time like "2026-01-05T09:00"`);
    return null;
  }
  return s;
}

function compileCalendar(w: Walker, name: string, e: Entry): CalendarIR | null {
  const what = `calendar '${name}'`;
  const m = w.map(e.value, what, e.keyAt, CALENDAR.allowed, CALENDAR.required);
  if (!m) return null;
  const tz = zone(w, m.get('timezone'), what);
  const weekly: CalendarIR['weekly'] = {};
  const we = m.get('weekly');
  const wm = we ? w.map(we.value, `${what}: weekly`, we.keyAt, WEEKDAYS) : null;
  for (const [day, de] of wm ?? []) {
    // A day holds one window, or (extension) a list of windows.
    const nodes: Array<Node | null> = isSeq(de.value) ? (w.seq(de, `${what}: ${day}`) ?? []) : [de.value];
    const windows: WindowIR[] = [];
    for (const n of nodes) {
      const s = w.str({ key: day, keyAt: de.keyAt, value: n }, `${what}: ${day}`);
      if (s === null) continue;
      const mm = WINDOW.exec(s);
      const from = mm ? Number(mm[1]) * 60 + Number(mm[2]) : NaN;
      const to = mm ? Number(mm[3]) * 60 + Number(mm[4]) : NaN;
      if (!mm || to > 1440) {
        w.rep.error(w.pos(n, de.keyAt), `${what}: ${day}: '${s}' is not a window like "08:00-18:00"`);
        continue;
      }
      if (from === to) {
        // Equal ends could mean "nothing" or "24 hours"; neither reading is safe to guess.
        w.rep.error(
          w.pos(n, de.keyAt),
          `${what}: ${day}: '${s}' starts and ends at the same time, so it is open for no time at all; ` +
            `write '00:00-24:00' for a day open all day, or leave ${day} out to keep it closed ` +
            `(weekly: {} is a calendar that is always closed)`,
        );
        continue;
      }
      windows.push({ from, to });
    }
    weekly[day as Weekday] = windows.sort((a, b) => a.from - b.from);
  }
  const holidays = new Set<string>();
  for (const h of w.strList(m.get('holidays'), `${what}: holidays`, false) ?? []) {
    if (!DATE.test(h.v) || !DateTime.fromISO(h.v).isValid)
      w.rep.error(h.at, `${what}: holiday '${h.v}' is not a date like 2026-12-25`);
    else holidays.add(h.v);
  }
  const hc = w.str(m.get('holiday_calendar'), `${what}: holiday_calendar`);
  if (hc !== null) {
    const parsed = parseHolidayCalendar(hc);
    if (typeof parsed === 'string')
      w.rep.error(w.pos(m.get('holiday_calendar')?.value), `${what}: ${parsed}`);
    else for (const d of expandPublicHolidays(hc)) holidays.add(d);
  }
  if (!tz) return null;
  const cal: CalendarIR = { timezone: tz, weekly, holidays: [...holidays].sort() };
  if (hc !== null) cal.holidayCalendar = hc;
  return cal;
}

function compileChannel(w: Walker, name: string, e: Entry): ChannelIR | null {
  const what = `channel '${name}'`;
  const m = w.map(e.value, what, e.keyAt, CHANNEL.allowed);
  if (!m) return null;
  if (m.size !== 1) {
    w.rep.error(w.pos(e.value, e.keyAt), `${what} must have exactly one of slack, teams, email`);
    return null;
  }
  const [kind, ke] = [...m][0];
  if (kind === 'slack') {
    const sm = w.map(ke.value, `${what}: slack`, ke.keyAt, ['channel'], ['channel']);
    const ch = w.str(sm?.get('channel'), `${what}: slack channel`);
    return ch === null ? null : { kind: 'slack', channel: ch };
  }
  if (kind === 'teams') {
    const tm = w.map(ke.value, `${what}: teams`, ke.keyAt, ['webhook'], ['webhook']);
    const we = tm?.get('webhook');
    if (!we) return null;
    // Two spellings of one reference: '${env:NAME}' (the spec) and { env: NAME } (as in SecretRef).
    let name: string | null;
    let at = w.pos(we.value, we.keyAt);
    if (isMap(we.value)) {
      const em = w.map(we.value, `${what}: teams webhook`, we.keyAt, ['env'], ['env']);
      const ee = em?.get('env');
      name = w.str(ee, `${what}: teams webhook env`);
      if (ee) at = w.pos(ee.value, ee.keyAt);
    } else {
      const hook = w.str(we, `${what}: teams webhook`);
      if (hook === null) return null;
      name = /^\$\{env:(.*)\}$/.exec(hook)?.[1] ?? null;
      if (name === null) {
        // A Teams webhook URL carries its own credential; it must never be written into the IR or history.
        w.rep.error(
          at,
          `${what}: a Teams webhook URL is a secret; write '\${env:NAME}' (or { env: NAME }) and set NAME in the environment`,
        );
        return null;
      }
    }
    if (name === null) return null;
    if (!ENV_NAME.test(name)) {
      w.rep.error(at, `${what}: '${name}' is not an environment variable name (letters, digits and _)`);
      return null;
    }
    return { kind: 'teams', webhook: { env: name } };
  }
  const em = w.map(ke.value, `${what}: email`, ke.keyAt, ['to'], ['to']);
  const to = w.strList(em?.get('to'), `${what}: email to`);
  for (const t of to ?? [])
    if (!/^[^@\s]+@[^@\s]+$/.test(t.v)) w.rep.error(t.at, `${what}: '${t.v}' is not an email address`);
  return to ? { kind: 'email', to: to.map((t) => t.v) } : null;
}

/** `roles:` — console roles, each a list of people and groups (expanded to person ids). */
function compileRoles(
  w: Walker,
  e: Entry | undefined,
  people: Record<string, PersonIR>,
  groups: Record<string, string[]>,
): OrgIR['roles'] | undefined {
  if (!e) return undefined;
  const m = w.map(e.value, 'roles', e.keyAt, [...CONSOLE_ROLES]);
  if (!m) return undefined;
  const roles: NonNullable<OrgIR['roles']> = {};
  for (const role of CONSOLE_ROLES) {
    const list = w.strList(m.get(role), `roles.${role}`);
    if (!list) continue;
    const ids = new Set<string>();
    for (const x of list) {
      if (people[x.v]) ids.add(x.v);
      else if (groups[x.v]) for (const id of groups[x.v]) ids.add(id);
      else
        w.rep.error(
          x.at,
          `roles.${role}: '${x.v}' is neither a person nor a group${didYouMean(x.v, [...Object.keys(people), ...Object.keys(groups)])}`,
        );
    }
    roles[role] = [...ids];
  }
  return roles;
}
