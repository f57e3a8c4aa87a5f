// The shape of nightshift.yaml as a declarative table: each section's keys with their kind, whether
// required, and a line of documentation. The org compiler (compiler/org.ts) takes its allowed and
// required keys from here; the JSON Schema for editors (compiler/json-schema.ts) is derived from it.
// What cannot be said structurally (names that must exist, zones, windows, CEL) stays the compiler's.

import { CONSOLE_ROLES } from '../core/ir';

export type Shape =
  | { t: 'object'; doc: string; keys: Readonly<Record<string, Shape>>; required?: readonly string[] }
  /** A mapping of names (`[a-z][a-z0-9_-]*`) to entries of one shape. */
  | { t: 'named'; doc: string; of: Shape }
  | { t: 'string'; doc: string; pattern?: string }
  | { t: 'integer'; doc: string; minimum: number }
  | { t: 'list'; doc: string; of: Shape }
  /** One of several shapes (a day's window or list of windows; a webhook reference). */
  | { t: 'either'; doc: string; of: readonly Shape[] };

export const NAME_PATTERN = '^[a-z][a-z0-9_-]*$';
export const WINDOW_PATTERN = '^([01]\\d|2[0-3]):([0-5]\\d)-([01]\\d|2[0-4]):([0-5]\\d)$';
const DURATION = '^(\\d{1,6}w)?(\\d{1,6}d)?(\\d{1,6}h)?(\\d{1,6}m)?(\\d{1,6}s)?$';
const LOCAL = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$';

const str = (doc: string, pattern?: string): Shape => ({ t: 'string', doc, ...(pattern ? { pattern } : {}) });
const window: Shape = str(
  'a local window "08:00-18:00" ([from, to); past midnight belongs to its start day)',
  WINDOW_PATTERN,
);
const day: Shape = {
  t: 'either',
  doc: 'one window, or (extension) a list of windows',
  of: [window, { t: 'list', doc: 'windows', of: window }],
};

export const ORG_SHAPE = {
  t: 'object',
  doc: 'The organisation: who works when, who is on call, who may approve, where messages go',
  keys: {
    calendars: {
      t: 'named',
      doc: 'working hours, by name (calendar(NAME) in expressions)',
      of: {
        t: 'object',
        doc: 'a calendar',
        keys: {
          timezone: str('IANA time zone, e.g. America/Chicago'),
          weekly: {
            t: 'object',
            doc: 'local wall-clock windows per day; days not listed are closed',
            keys: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, day])),
          },
          holidays: {
            t: 'list',
            doc: 'whole local days closed',
            of: str('a date, 2026-12-25', '^\\d{4}-\\d{2}-\\d{2}$'),
          },
          holiday_calendar: str('public holidays of a region as well: US, GB, DE, US-CA, …'),
        },
        required: ['timezone', 'weekly'],
      },
    },
    people: {
      t: 'named',
      doc: 'people, by id',
      of: {
        t: 'object',
        doc: 'a person',
        keys: {
          name: str('the name shown in messages'),
          slack: str('Slack user id (U…)'),
          phone: str('E.164 phone number, +15555550101'),
          email: str('email address'),
          login: str('the sign-in name (UPN) the console matches, when it is not the email'),
        },
        required: ['name'],
      },
    },
    rotations: {
      t: 'named',
      doc: 'on-call rotations, by name (oncall(NAME); a rotation named where people are)',
      of: {
        t: 'object',
        doc: 'a rotation',
        keys: {
          timezone: str('IANA time zone of the handoff'),
          every: str('how often it hands off: 1d, 1w, 2w …', '^[1-9]\\d{0,2}[dw]$'),
          handoff: str('local date-time of the first handoff, 2026-01-05T09:00', LOCAL),
          members: { t: 'list', doc: 'person ids, in order', of: str('a person id') },
          overrides: {
            t: 'list',
            doc: 'someone else on call for a while',
            of: {
              t: 'object',
              doc: 'an override, [from, to) local',
              keys: {
                person: str('a person id'),
                from: str('local date-time', LOCAL),
                to: str('local date-time', LOCAL),
              },
              required: ['person', 'from', 'to'],
            },
          },
        },
        required: ['timezone', 'every', 'handoff', 'members'],
      },
    },
    groups: {
      t: 'named',
      doc: 'groups of people, by name',
      of: { t: 'list', doc: 'person ids', of: str('a person id') },
    },
    channels: {
      t: 'named',
      doc: 'where messages go, by name',
      of: {
        t: 'object',
        doc: 'exactly one of slack, teams, email',
        keys: {
          slack: {
            t: 'object',
            doc: 'a Slack channel',
            keys: { channel: str('channel id, C…') },
            required: ['channel'],
          },
          teams: {
            t: 'object',
            doc: 'a Teams channel through its incoming webhook',
            keys: {
              webhook: {
                t: 'either',
                doc: "the webhook URL from the environment: '${env:NAME}' or { env: NAME }",
                of: [
                  str('${env:NAME}', '^\\$\\{env:[A-Za-z_][A-Za-z0-9_]*\\}$'),
                  {
                    t: 'object',
                    doc: 'an environment variable',
                    keys: { env: str('its name', '^[A-Za-z_][A-Za-z0-9_]*$') },
                    required: ['env'],
                  },
                ],
              },
            },
            required: ['webhook'],
          },
          email: {
            t: 'object',
            doc: 'email',
            keys: { to: { t: 'list', doc: 'addresses', of: str('an address') } },
            required: ['to'],
          },
        },
      },
    },
    policy: {
      t: 'object',
      doc: 'rules no playbook can override',
      keys: {
        protected_devices: str('CEL over `device`: never isolated without a human approval'),
        max_auto_isolations: {
          t: 'object',
          doc: 'at most `count` automatic isolations `per` duration, across all runs',
          keys: {
            count: { t: 'integer', doc: 'how many', minimum: 1 },
            per: str('a duration, 1h', DURATION),
          },
          required: ['count', 'per'],
        },
      },
    },
    roles: {
      t: 'object',
      doc: 'who may use the web console, and as what (docs/console.md); without roles every person is a responder',
      keys: Object.fromEntries(
        CONSOLE_ROLES.map((r) => [
          r,
          { t: 'list', doc: `the ${r}s: people and groups`, of: str('a person or group') },
        ]),
      ),
    },
  },
} as const satisfies Shape;

type Obj = Extract<Shape, { t: 'object' }>;
/** An object shape's keys and required keys, as the compiler's Walker.map takes them. */
export function keysOf(s: Shape): { allowed: string[]; required: string[] } {
  const o = s as Obj;
  return { allowed: Object.keys(o.keys), required: [...(o.required ?? [])] };
}
