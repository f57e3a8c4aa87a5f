// `nightshift validate [PATH…] [--config FILE] [--json]` (spec §6): checks nightshift.yaml and the
// playbooks against it, printing every problem as `path:line:col: error: message`.
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic, loadProject } from '../compiler';
import type { Diagnostic } from '../compiler';

export const VALIDATE_USAGE = 'usage: nightshift validate [PATH…] [--config FILE] [--json]';

export interface ValidateIO {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

/** Exit code: 0 when every file loads, 1 otherwise, 2 on bad arguments. */
export function runValidate(argv: string[], io: ValidateIO): number {
  let values: { config?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    io.err(`nightshift validate: ${(e as Error).message}`);
    io.err(VALIDATE_USAGE);
    return 2;
  }
  if (values.help) {
    io.out(VALIDATE_USAGE);
    return 0;
  }
  const given = positionals.length ? positionals : ['playbooks/'];
  const config = values.config ?? './nightshift.yaml';
  // Files are read relative to io.cwd but reported exactly as given on the command line.
  const shown = new Map<string, string>();
  const abs = (p: string): string => {
    const a = isAbsolute(p) ? p : resolve(io.cwd, p);
    if (!shown.has(a)) shown.set(a, p);
    return a;
  };
  const cfg = abs(config);
  const paths = given.map(abs);
  const r = loadProject({ config: cfg, paths });
  const display = (file: string): string => {
    const direct = shown.get(file);
    if (direct !== undefined) return direct;
    // A file found inside a folder given on the command line: that folder as given, plus the rest.
    for (const [a, g] of shown) {
      const rel = relative(a, file);
      if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return `${g.replace(/\/+$/, '')}/${rel}`;
    }
    return file;
  };
  // Messages may name another file (a duplicate playbook): show it as given too.
  const shownMessage = (m: string): string => r.files.reduce((acc, f) => acc.split(f).join(display(f)), m);
  const diagnostics: Diagnostic[] = r.diagnostics.map((d) => ({
    ...d,
    file: display(d.file),
    message: shownMessage(d.message),
  }));
  const ok = !diagnostics.some((d) => d.severity === 'error');
  if (values.json) {
    io.out(JSON.stringify({ ok, files: r.files.map(display), diagnostics }, null, 2));
  } else {
    for (const d of diagnostics) io.out(formatDiagnostic(d));
    if (ok) io.out(`ok: ${r.playbooks.length} playbook(s) and ${config} are valid`);
  }
  return ok ? 0 : 1;
}
