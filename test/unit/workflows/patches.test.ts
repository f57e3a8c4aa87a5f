// The patch registry (workflows/patches.ts): every patched() the workflow code takes is registered, and
// each registered patch has the history in test/replay/ that was recorded with it — the replay test
// then proves its new path deterministic, as the histories recorded before it prove the old one.
import fs from 'node:fs';
import path from 'node:path';
import { CONCURRENT_DEVICES_PATCH } from '../../../engine/concurrency';
import { INCIDENT_READ_PATCH, MACHINE_RESOLUTION_PATCH } from '../../../engine/mde';
import { PATCHES } from '../../../workflows/patches';

/** The patch constants the engine passes to rt.patched(), by name. */
const ENGINE_PATCHES: Record<string, string> = {
  CONCURRENT_DEVICES_PATCH,
  MACHINE_RESOLUTION_PATCH,
  INCIDENT_READ_PATCH,
};

const ROOT = path.join(__dirname, '..', '..', '..');
const REPLAY = path.join(ROOT, 'test', 'replay');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? sources(rel) : e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The patch ids a history records (markers `core_patch`, details `patch-data` {id}). */
function markers(file: string): string[] {
  const { history } = JSON.parse(fs.readFileSync(path.join(REPLAY, file), 'utf8')) as {
    history: { events: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  return history.events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return [];
    const data = m.details['patch-data'].payloads[0].data as string;
    return [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id];
  });
}

describe('patch registry', () => {
  const entries = Object.entries(PATCHES);
  const ids = entries.map(([, p]) => p.id as string);

  it('names every patched() of the workflow code by its entry (no patch id written twice)', () => {
    const calls: string[] = [];
    for (const f of [...sources('engine'), ...sources('workflows')]) {
      // Code only: comments mention patched('…') in prose; `patched(id: string)` declares the runtime's.
      const src = fs
        .readFileSync(path.join(ROOT, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      for (const m of src.matchAll(/\bpatched\(([^)]*)\)/g))
        if (!m[1].includes(':')) calls.push(`${f}: ${m[1].trim()}`);
    }
    const unregistered = calls.filter((c) => {
      const arg = c.slice(c.indexOf(': ') + 2);
      if (arg === 'id') return !c.startsWith('workflows/playbook-run.ts'); // the runtime's pass-through
      // The engine's own patch constants, each registered by its value.
      if (arg in ENGINE_PATCHES) return !ids.includes(ENGINE_PATCHES[arg]);
      const m = /^PATCHES\.(\w+)\.id$/.exec(arg);
      return !m || !(m[1] in PATCHES);
    });
    expect(unregistered).toEqual([]);
    expect(calls.length).toBeGreaterThanOrEqual(entries.length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(entries)('%s: its history exists and records the patch', (_name, p) => {
    expect(fs.existsSync(path.join(REPLAY, p.history))).toBe(true);
    expect(markers(p.history)).toContain(p.id);
  });

  it('no history records a patch that is not registered', () => {
    const recorded = new Set(
      fs
        .readdirSync(REPLAY)
        .filter((f) => f.endsWith('.json'))
        .flatMap(markers),
    );
    expect([...recorded].filter((id) => !ids.includes(id))).toEqual([]);
  });
});
