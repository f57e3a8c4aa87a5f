// Content hashes of the IR: sha256 over canonical JSON (sorted keys), so comments, whitespace and key
// order in the YAML never change a hash.
import { createHash } from 'node:crypto';

export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** sha256 hex of the canonical form of `v` without the named keys. */
export function irHash(v: object, omit: readonly string[]): string {
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  for (const k of omit) delete copy[k];
  return createHash('sha256').update(canonicalJson(copy)).digest('hex');
}
