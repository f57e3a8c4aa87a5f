// Resource use of a process from /proc (Linux): resident memory now and at its peak, CPU time.
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';

export interface ProcMem {
  rssMiB: number;
  /** Peak resident set since the process started (or since resetPeak). */
  hwmMiB: number;
}

function statusField(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) / 1024 : NaN;
}

export function procMem(pid: number): ProcMem {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssMiB: statusField(s, 'VmRSS'), hwmMiB: statusField(s, 'VmHWM') };
  } catch {
    return { rssMiB: NaN, hwmMiB: NaN };
  }
}

/** Resets VmHWM so the next reading is the peak of the coming phase (own processes only). */
export function resetPeak(pid: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted on some kernels: the peak then covers the process's whole life.
  }
}

const TICK = 100; // USER_HZ on Linux

/** User + system CPU milliseconds consumed by the process so far. */
export function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at index 2.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICK;
  } catch {
    return NaN;
  }
}

export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !==
      '';
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: dirty ? `${commit} (with uncommitted changes)` : commit,
  };
}
