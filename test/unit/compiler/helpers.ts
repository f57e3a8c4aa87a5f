// Shared helpers for compiler tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrg } from '../../../compiler';
import type { OrgIR } from '../../../core/ir';

export const ROOT = join(__dirname, '../../..');

export function exampleOrg(): OrgIR {
  const r = loadOrg(join(ROOT, 'nightshift.yaml'));
  if (!r.org) throw new Error(JSON.stringify(r.diagnostics));
  return r.org;
}

export function exampleText(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

/** 1-based line:col of the `nth` occurrence of `needle` in `text`, plus `shift` characters. */
export function posOf(text: string, needle: string, shift = 0, nth = 0): { line: number; col: number } {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`'${needle}' not found`);
  }
  i += shift;
  const before = text.slice(0, i).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}
