// Every environment variable is declared once (platform/config/variables.ts) and documented in the
// README's configuration table, and the table documents nothing else.
import fs from 'node:fs';
import path from 'node:path';
import { VARIABLES } from '../../../platform/config/variables';
import { loadConfig } from '../../../platform/config/settings';
import { CACHED_RUN_KIB, cachedRunsFor } from '../../../worker/worker';

const ROOT = path.join(__dirname, '..', '..', '..');

/** The first-column `NAME`s of the table under "## Configuration". */
function documented(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Configuration');
  const end = readme.indexOf('\n##', start + 5);
  const section = readme.slice(start, end);
  return [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]);
}

describe('configuration', () => {
  const declared: string[] = VARIABLES.map((v) => v.name);

  it('the README documents every declared variable', () => {
    const doc = new Set(documented());
    expect(declared.filter((n) => !doc.has(n))).toEqual([]);
  });

  it('the README documents no variable that is not declared', () => {
    expect(documented().filter((n) => !declared.includes(n))).toEqual([]);
  });

  it('declares each variable once, with a meaning', () => {
    expect(new Set(declared).size).toBe(declared.length);
    for (const v of VARIABLES) expect(v.doc.length).toBeGreaterThan(3);
  });

  it('the variables people asked after are declared (not read behind the table’s back)', () => {
    for (const name of [
      'NIGHTSHIFT_WEBHOOK_SECRETS',
      'NIGHTSHIFT_METRICS_PORT',
      'DEFENDER_INTAKE',
      'DEFENDER_INTAKE_INTERVAL',
      'DEFENDER_INTAKE_RULE',
    ])
      expect(declared).toContain(name);
  });
});

describe('the worker cache size (NIGHTSHIFT_WORKER_CACHE_MIB)', () => {
  it('is memory: 512 MiB by default, turned into a number of runs by the measured size of one', () => {
    expect(loadConfig({}, ROOT).workerCacheMiB).toBe(512);
    expect(loadConfig({ NIGHTSHIFT_WORKER_CACHE_MIB: '2048' }, ROOT).workerCacheMiB).toBe(2048);
    expect(cachedRunsFor(512)).toBe(Math.floor((512 * 1024) / CACHED_RUN_KIB));
    expect(cachedRunsFor(16)).toBeGreaterThanOrEqual(2); // the SDK's minimum
  });

  it('refuses a value that is not a whole number of MiB, naming the variable', () => {
    for (const bad of ['lots', '1.5', '8'])
      expect(() => loadConfig({ NIGHTSHIFT_WORKER_CACHE_MIB: bad }, ROOT)).toThrow(
        /NIGHTSHIFT_WORKER_CACHE_MIB=".*" must be a whole number of MiB, at least 16/,
      );
  });
});
