// Diagnostics in the tsc/esbuild style: every problem, each at file:line:col.
import type { LineCounter } from 'yaml';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** Collects diagnostics for one file, turning source offsets into 1-based line:col. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  /** "file:line:col" of an offset: the `at` of IR expressions and steps. */
  at(offset: number): string {
    const p = this.lines.linePos(offset);
    return `${this.file}:${p.line}:${p.col}`;
  }

  error(offset: number, message: string): void {
    this.push(offset, 'error', message);
  }

  warning(offset: number, message: string): void {
    this.push(offset, 'warning', message);
  }

  private push(offset: number, severity: Diagnostic['severity'], message: string): void {
    const p = this.lines.linePos(offset);
    this.diagnostics.push({ file: this.file, line: p.line, col: p.col, severity, message });
  }

  get failed(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : 0));
}
