// The normalized detection (spec §5): what intake produces and what `detection` is in CEL. Its shape is
// written ONCE, here, as a field table; everything else is derived from it:
//   - the TypeScript types (Detection, Device, Severity, …) below, by mapped types;
//   - the CEL types of the checker and the zero values absent fields read as (engine/expr);
//   - the zod schema that checks posted detections, and from it the OpenAPI schema (intake/, server/).
// Pure data: the workflow bundle imports it.

/** How a field is present: given or refused (`required`), may be absent (`optional`), or filled in by
 *  intake when absent (`defaulted`: always present in a normalized detection). */
export type Presence = 'required' | 'optional' | 'defaulted';

interface FieldBase {
  presence: Presence;
  /** One line for people: the OpenAPI description, the docs. */
  doc?: string;
}
export interface StringField extends FieldBase {
  kind: 'string';
  max: number;
  min?: number;
}
export interface EnumField extends FieldBase {
  kind: 'enum';
  values: readonly string[];
  /** The value a `defaulted` enum takes when absent. */
  default?: string;
}
/** An ISO-8601 instant with an offset, kept as a string (CEL: string). */
export interface TimestampField extends FieldBase {
  kind: 'timestamp';
}
export interface ListField extends FieldBase {
  kind: 'list';
  of: Field;
  max: number;
}
export interface ObjectField extends FieldBase {
  kind: 'object';
  /** The CEL type name of the object. */
  cel: string;
  fields: Readonly<Record<string, Field>>;
}
/** Free-form JSON object (a process of the evidence): CEL `map<string, dyn>`. */
export interface MapField extends FieldBase {
  kind: 'map';
  /** How deep objects and arrays may nest inside it: free-form input is bounded too. */
  depth: number;
}
export type Field = StringField | EnumField | TimestampField | ListField | ObjectField | MapField;

const MAX = { id: 256, text: 2000, list: 500, devices: 1000, depth: 16 } as const;

/** A list of strings of at most `max` characters, [] when absent. */
function strings<N extends number>(max: N) {
  return {
    kind: 'list',
    of: { kind: 'string', max, presence: 'required' },
    max: MAX.list,
    presence: 'defaulted',
  } as const;
}

export const DEVICE = {
  kind: 'object',
  cel: 'Device',
  presence: 'required',
  fields: {
    id: {
      kind: 'string',
      max: MAX.id,
      min: 1,
      presence: 'required',
      doc: 'Defender machine id (or the host)',
    },
    name: { kind: 'string', max: MAX.id, presence: 'defaulted', doc: 'Host name; defaults to the id' },
    os: { kind: 'string', max: MAX.id, presence: 'optional' },
    tags: strings(MAX.id),
    ip: { kind: 'string', max: MAX.id, presence: 'optional' },
  },
} as const satisfies ObjectField;

export const DETECTION = {
  kind: 'object',
  cel: 'Detection',
  presence: 'required',
  fields: {
    id: {
      kind: 'string',
      max: MAX.id,
      min: 1,
      presence: 'required',
      doc: 'Unique id: de-duplication and grouping',
    },
    source: {
      kind: 'enum',
      values: ['defender', 'redcanary', 'generic'],
      default: 'generic',
      presence: 'defaulted',
    },
    title: { kind: 'string', max: MAX.text, min: 1, presence: 'required', doc: 'What every person is shown' },
    severity: {
      kind: 'enum',
      values: ['informational', 'low', 'medium', 'high', 'critical'],
      presence: 'required',
    },
    status: {
      kind: 'enum',
      values: ['confirmed', 'suspected', 'false_positive', 'resolved'],
      presence: 'required',
    },
    category: { kind: 'string', max: MAX.id, presence: 'optional' },
    mitre: strings(64),
    incident_id: { kind: 'string', max: MAX.id, presence: 'optional' },
    alert_ids: strings(MAX.id),
    detected_at: { kind: 'timestamp', presence: 'defaulted', doc: 'Defaults to the time of receipt' },
    url: { kind: 'string', max: MAX.text, presence: 'optional' },
    devices: { kind: 'list', of: DEVICE, max: MAX.devices, presence: 'defaulted' },
    users: {
      kind: 'list',
      max: MAX.list,
      presence: 'defaulted',
      of: {
        kind: 'object',
        cel: 'DetectionUser',
        presence: 'required',
        fields: {
          name: { kind: 'string', max: MAX.id, presence: 'required' },
          domain: { kind: 'string', max: MAX.id, presence: 'optional' },
          upn: { kind: 'string', max: MAX.id, presence: 'optional' },
        },
      },
    },
    evidence: {
      kind: 'object',
      cel: 'Evidence',
      presence: 'defaulted',
      fields: {
        files: {
          kind: 'list',
          max: MAX.list,
          presence: 'defaulted',
          of: {
            kind: 'object',
            cel: 'EvidenceFile',
            presence: 'required',
            fields: {
              sha1: { kind: 'string', max: 64, presence: 'optional' },
              sha256: { kind: 'string', max: 64, presence: 'optional' },
              md5: { kind: 'string', max: 64, presence: 'optional' },
              path: { kind: 'string', max: MAX.text, presence: 'optional' },
              name: { kind: 'string', max: MAX.id, presence: 'optional' },
            },
          },
        },
        processes: {
          kind: 'list',
          of: { kind: 'map', presence: 'required', depth: MAX.depth },
          max: MAX.list,
          presence: 'defaulted',
        },
        ips: strings(64),
        urls: strings(MAX.text),
      },
    },
  },
} as const satisfies ObjectField;

// --- the TypeScript types, derived from the table ----------------------------------------------

type Flat<T> = { -readonly [K in keyof T]: T[K] };
type OptionalKeys<S> = { [K in keyof S]: S[K] extends { presence: 'optional' } ? K : never }[keyof S];
/** The normalized value of an object field's `fields`. */
export type Shape<S> = Flat<
  { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: ValueOf<S[K]> } & {
    -readonly [K in OptionalKeys<S>]?: ValueOf<S[K]>;
  }
>;
/** The normalized value of a field. */
export type ValueOf<F> = F extends { kind: 'enum'; values: readonly (infer V)[] }
  ? V
  : F extends { kind: 'string' | 'timestamp' }
    ? string
    : F extends { kind: 'list'; of: infer O }
      ? Array<ValueOf<O>>
      : F extends { kind: 'object'; fields: infer S }
        ? Shape<S>
        : F extends { kind: 'map' }
          ? Record<string, unknown>
          : never;

export type Detection = ValueOf<typeof DETECTION>;
export type Device = ValueOf<typeof DEVICE>;
export type Severity = Detection['severity'];
export type DetectionStatus = Detection['status'];
export type DetectionSource = Detection['source'];

// --- zero values ---------------------------------------------------------------------------------

/** What an absent field reads as in CEL (CEL/proto3 convention): '', [], an object of zero values. */
export function zeroValue(f: Field): unknown {
  switch (f.kind) {
    case 'string':
    case 'enum':
    case 'timestamp':
      return '';
    case 'list':
      return [];
    case 'map':
      return {};
    case 'object':
      return withZeroValues(f, {});
  }
}

/**
 * `value` with every absent field of `f` at its zero value, recursively (objects, and each object of a
 * list); fields the table does not name are kept as they are.
 */
export function withZeroValues(f: ObjectField, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const [k, field] of Object.entries(f.fields)) {
    const v = value[k];
    if (v === undefined || v === null) out[k] = zeroValue(field);
    else if (field.kind === 'object') out[k] = withZeroValues(field, v as Record<string, unknown>);
    else if (field.kind === 'list' && field.of.kind === 'object' && Array.isArray(v)) {
      const of = field.of;
      out[k] = v.map((x) => withZeroValues(of, x as Record<string, unknown>));
    }
  }
  return out;
}
