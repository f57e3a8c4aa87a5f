// The JSON Schema of a playbook for editors (yaml-language-server, SchemaStore), DERIVED from the
// compiler's own tables: the step kinds (step-kinds.ts) and the playbook's other keys
// (playbook-keys.ts). A step kind added to the table is in the schema at once. The schema checks
// structure (keys, types, enums, durations); names, expressions and types of CEL are the compiler's.
import { VIAS } from '../core/channels';
import { ALERT_CLASSIFICATIONS } from '../core/ir';
import {
  COMMON_STEP_KEYS,
  DETECTION_TRIGGER_KEYS,
  PLAYBOOK_KEYS,
  required,
  type PlainKey,
} from './playbook-keys';
import { NAME_PATTERN, ORG_SHAPE, type Shape } from './org-keys';
import { STEP_KINDS, type KeySpec } from './step-kinds';

type Schema = Record<string, unknown>;

/** core/duration.ts's spelling: units once each, largest first. */
const DURATION = {
  type: 'string',
  pattern: '^(\\d{1,6}w)?(\\d{1,6}d)?(\\d{1,6}h)?(\\d{1,6}m)?(\\d{1,6}s)?$',
  minLength: 2,
};
const HAS_EXPR = '\\$\\{\\{';
const names = (doc: string): Schema => ({
  type: 'array',
  items: { type: 'string' },
  minItems: 1,
  description: doc,
});

function valueSchema(ks: KeySpec): Schema {
  const description = ks.default !== undefined ? `${ks.doc} (default: ${ks.default})` : ks.doc;
  switch (ks.type) {
    case 'template': {
      if (ks.enum)
        return { description, anyOf: [{ enum: [...ks.enum] }, { type: 'string', pattern: HAS_EXPR }] };
      if (ks.format === 'http-url')
        return { description, type: 'string', pattern: `^(https?://|${HAS_EXPR})` };
      return { description, type: 'string' };
    }
    case 'duration':
      return { description, ...DURATION };
    case 'timestamp-expr':
    case 'condition':
    case 'rotation':
      return { description, type: 'string' };
    case 'targets':
    case 'people-targets':
    case 'people':
    case 'approvers':
      return names(description);
    case 'via':
      return { description, type: 'array', items: { enum: [...VIAS] }, minItems: 1, uniqueItems: true };
    case 'enum':
      return { description, enum: [...(ks.enum ?? [])], ...(ks.default ? { default: ks.default } : {}) };
    case 'template-map':
      return { description, type: 'object', additionalProperties: { type: 'string' } };
    case 'templated-json':
      return { description };
    case 'count':
      return {
        description,
        type: 'integer',
        ...(ks.min !== undefined ? { minimum: ks.min } : {}),
        ...(ks.max !== undefined ? { maximum: ks.max } : {}),
      };
    case 'template-list':
      return { description, type: 'array', items: { type: 'string' } };
    case 'list': {
      const items = ks.items ?? {};
      return {
        description,
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: Object.keys(items).filter((k) => items[k].required),
          properties: Object.fromEntries(Object.entries(items).map(([k, v]) => [k, valueSchema(v)])),
        },
      };
    }
  }
}

function plainSchema(k: PlainKey): Schema {
  const description = k.doc;
  const extra = {
    ...(k.enum ? { enum: [...k.enum] } : {}),
    ...(k.default !== undefined ? { default: k.default } : {}),
  };
  switch (k.type) {
    case 'string':
      return { description, type: 'string', ...(k.pattern ? { pattern: k.pattern.source } : {}), ...extra };
    case 'integer':
      return { description, type: 'integer', ...(k.minimum !== undefined ? { minimum: k.minimum } : {}) };
    case 'boolean':
      return { description, type: 'boolean', ...extra };
    case 'duration':
      return { description, ...DURATION };
    case 'condition':
    case 'list-expr':
      return { description, type: 'string' };
    case 'object':
      return { description, type: 'object' };
    case 'list':
      return { description, type: 'array' };
    case 'alert-sync':
      return {
        description,
        anyOf: [
          { type: 'boolean' },
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              classification: { enum: [...ALERT_CLASSIFICATIONS] },
              determination: { type: 'string' },
            },
          },
        ],
      };
  }
}

function kindSchema(name: string): Schema {
  const spec = STEP_KINDS[name];
  const body: Schema = {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(spec.keys).map(([k, v]) => [k, valueSchema(v)])),
    ...(Object.values(spec.keys).some((k) => k.required)
      ? { required: Object.keys(spec.keys).filter((k) => spec.keys[k].required) }
      : {}),
    ...(spec.exactlyOne ? { oneOf: spec.exactlyOne.keys.map((k) => ({ required: [k] })) } : {}),
  };
  return spec.allowEmpty
    ? { description: spec.doc, anyOf: [{ type: 'null' }, body] }
    : { description: spec.doc, ...body };
}

export function playbookSchema(): Schema {
  const kinds = Object.keys(STEP_KINDS);
  const top = (k: string) => plainSchema(PLAYBOOK_KEYS[k]);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Nightshift playbook',
    description:
      'A Nightshift SOAR playbook (playbooks/README.md). Generated by `nightshift schema playbook`.',
    type: 'object',
    additionalProperties: false,
    required: required(PLAYBOOK_KEYS),
    properties: {
      // Every key of the table; `on` and `steps` get their parts below.
      ...Object.fromEntries(Object.keys(PLAYBOOK_KEYS).map((k) => [k, top(k)])),
      on: {
        ...top('on'),
        additionalProperties: false,
        required: ['detection'],
        properties: {
          detection: {
            description: 'a detection (or alert) that arrives',
            type: 'object',
            additionalProperties: false,
            required: required(DETECTION_TRIGGER_KEYS),
            properties: Object.fromEntries(
              Object.entries(DETECTION_TRIGGER_KEYS).map(([k, v]) => [k, plainSchema(v)]),
            ),
          },
        },
      },
      steps: { ...top('steps'), minItems: 1, items: { $ref: '#/definitions/step' } },
    },
    definitions: {
      step: {
        description: `a step: \`id\`, optional common keys, and exactly one kind (${kinds.join(', ')})`,
        type: 'object',
        additionalProperties: false,
        required: required(COMMON_STEP_KEYS),
        properties: {
          ...Object.fromEntries(Object.entries(COMMON_STEP_KEYS).map(([k, v]) => [k, plainSchema(v)])),
          ...Object.fromEntries(kinds.map((k) => [k, kindSchema(k)])),
        },
        oneOf: kinds.map((k) => ({ required: [k] })),
      },
    },
  };
}

function shapeSchema(s: Shape): Schema {
  const description = s.doc;
  switch (s.t) {
    case 'object':
      return {
        description,
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(s.keys).map(([k, v]) => [k, shapeSchema(v)])),
        ...(s.required?.length ? { required: [...s.required] } : {}),
      };
    case 'named':
      return {
        description,
        type: 'object',
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: shapeSchema(s.of),
      };
    case 'string':
      return { description, type: 'string', ...(s.pattern ? { pattern: s.pattern } : {}) };
    case 'integer':
      return { description, type: 'integer', minimum: s.minimum };
    case 'list':
      return { description, type: 'array', items: shapeSchema(s.of) };
    case 'either':
      return { description, anyOf: s.of.map(shapeSchema) };
  }
}

/** The schema of nightshift.yaml, from the org compiler's table (compiler/org-keys.ts). */
export function orgSchema(): Schema {
  const channel = shapeSchema(ORG_SHAPE.keys.channels.of);
  const root = shapeSchema(ORG_SHAPE);
  const channels = (root.properties as Record<string, Schema>).channels;
  // A channel is exactly one kind: slack, teams or email.
  channels.additionalProperties = {
    ...channel,
    minProperties: 1,
    maxProperties: 1,
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Nightshift organisation file (nightshift.yaml)',
    ...root,
    description: `${ORG_SHAPE.doc}. Generated by \`nightshift schema org\`.`,
  };
}

/** The schemas by name: `nightshift schema NAME`, and the server's /schemas/NAME.json. */
export const SCHEMAS: Readonly<Record<string, () => Schema>> = { playbook: playbookSchema, org: orgSchema };
