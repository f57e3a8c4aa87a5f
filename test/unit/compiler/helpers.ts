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

export interface Block {
  file: string;
  /** 1-based line of the block's first YAML line. */
  line: number;
  text: string;
}

/** ```yaml fences, also indented ones inside list items (their indentation removed). */
export function yamlBlocks(file: string): Block[] {
  const lines = exampleText(file).split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```yaml\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(indent));
    out.push({ file, line: i + 2, text: body.join('\n') + '\n' });
    i = j;
  }
  return out;
}
