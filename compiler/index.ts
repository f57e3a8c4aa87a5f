// The Node-side load API: files → checked, hashed IR plus every diagnostic.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic, sortDiagnostics } from './diagnostics';
import type { Diagnostic } from './diagnostics';
import type { OrgIR, PlaybookIR } from '../core/ir';
import { loadOrg as compileOrg } from './org';
import { compilePlaybook } from './playbook';
import { MAX_FILE_BYTES } from './source';

export type { Diagnostic } from './diagnostics';
export { formatDiagnostic, compilePlaybook };

function fileError(file: string, message: string): Diagnostic {
  return { file, line: 1, col: 1, severity: 'error', message };
}

/** Reads a file, refusing oversized ones before reading them whole. */
function readText(file: string): { text?: string; diagnostics: Diagnostic[] } {
  try {
    const st = statSync(file);
    if (!st.isFile()) return { diagnostics: [fileError(file, 'not a file')] };
    if (st.size > MAX_FILE_BYTES)
      return { diagnostics: [fileError(file, `file is ${st.size} bytes; the limit is ${MAX_FILE_BYTES}`)] };
    return { text: readFileSync(file, 'utf8'), diagnostics: [] };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      diagnostics: [
        fileError(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`),
      ],
    };
  }
}

/** Loads nightshift.yaml; reads `file` when `text` is not given. */
export function loadOrg(file: string, text?: string): { org?: OrgIR; diagnostics: Diagnostic[] } {
  if (text === undefined) {
    const r = readText(file);
    if (r.text === undefined) return { diagnostics: r.diagnostics };
    text = r.text;
  }
  return compileOrg(file, text);
}

/** The playbook files named by `paths` (files, or folders holding *.yaml / *.yml), in a stable order. */
export function playbookFiles(paths: string[]): { files: string[]; diagnostics: Diagnostic[] } {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      diagnostics.push(fileError(p, 'no such file or folder'));
      continue;
    }
    if (st.isDirectory()) {
      const names = readdirSync(p)
        .filter((n) => /\.ya?ml$/.test(n))
        .sort();
      for (const n of names) {
        const f = join(p, n);
        if (statSync(f).isFile()) files.push(f);
      }
    } else files.push(p);
  }
  return { files: [...new Set(files)], diagnostics };
}

/**
 * The organisation file and every playbook under `paths`, checked together. Playbooks are compiled
 * only when the organisation loads (they name its calendars, people and channels).
 */
export function loadProject(opts: { config: string; paths: string[] }): {
  org?: OrgIR;
  playbooks: PlaybookIR[];
  diagnostics: Diagnostic[];
  files: string[];
} {
  const { org, diagnostics } = loadOrg(opts.config);
  const found = playbookFiles(opts.paths);
  diagnostics.push(...found.diagnostics);
  const playbooks: PlaybookIR[] = [];
  if (!org)
    return { playbooks, diagnostics: sortDiagnostics(diagnostics), files: [opts.config, ...found.files] };
  const byName = new Map<string, PlaybookIR>();
  for (const f of found.files) {
    const r = readText(f);
    diagnostics.push(...r.diagnostics);
    if (r.text === undefined) continue;
    const c = compilePlaybook(f, r.text, org);
    diagnostics.push(...c.diagnostics);
    if (!c.playbook) continue;
    const prev = byName.get(c.playbook.name);
    if (prev) {
      const at = /:(\d+):(\d+)$/.exec(playbookNameAt(r.text)) ?? [];
      diagnostics.push({
        file: f,
        line: Number(at[1] ?? 1),
        col: Number(at[2] ?? 1),
        severity: 'error',
        message: `playbook '${c.playbook.name}' is already defined in ${prev.file}`,
      });
      continue;
    }
    byName.set(c.playbook.name, c.playbook);
    playbooks.push(c.playbook);
  }
  return { org, playbooks, diagnostics: sortDiagnostics(diagnostics), files: [opts.config, ...found.files] };
}

/** ":line:col" of the value of the top-level `playbook:` key. */
function playbookNameAt(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^playbook:\s*/.exec(lines[i]);
    if (m) return `:${i + 1}:${m[0].length + 1}`;
  }
  return ':1:1';
}
