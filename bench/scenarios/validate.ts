// 6. `nightshift validate` on P playbooks: the five shipped playbooks, renamed and repeated, checked
// against the shipped nightshift.yaml. Wall time of the whole command (Node start-up included) and the
// compiler's own time in-process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadProject } from '../../compiler';
import { OUT, REPO } from '../lib/stack';
import type { Scale } from '../run';

const REPEAT = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function validateScenario(scale: Scale) {
  const dir = path.join(OUT, 'validate', 'playbooks');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const shipped = fs
    .readdirSync(path.join(REPO, 'playbooks'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  let bytes = 0;
  for (let i = 0; i < scale.validateN; i++) {
    const src = shipped[i % shipped.length];
    const text = fs
      .readFileSync(path.join(REPO, 'playbooks', src), 'utf8')
      .replace(/^playbook:\s*(\S+)/m, (_m, name: string) => `playbook: ${name}-${i}`);
    bytes += text.length;
    fs.writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}-${src}`), text);
  }
  const config = path.join(REPO, 'nightshift.yaml');
  const cli = path.join(__dirname, '..', 'procs', 'cli.js');
  const walls: number[] = [];
  let last = '';
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, [cli, 'validate', dir, '--config', config], {
      encoding: 'utf8',
      cwd: REPO,
    });
    walls.push(performance.now() - t0);
    last = (res.stdout + res.stderr).trim().split('\n').slice(-1)[0];
    if (res.status !== 0) throw new Error(`validate failed: ${last}`);
  }
  const inproc: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    const p = loadProject({ config, paths: [dir] });
    inproc.push(performance.now() - t0);
    if (p.playbooks.length !== scale.validateN) throw new Error(`loaded ${p.playbooks.length} playbooks`);
  }
  const wall = median(walls);
  const compile = median(inproc);
  return {
    playbooks: scale.validateN,
    bytes,
    command: `node bench/out/build/bench/procs/cli.js validate ${path.relative(REPO, dir)} --config nightshift.yaml`,
    output: last,
    wallMs: Math.round(wall),
    playbooksPerSecond: Math.round((scale.validateN / wall) * 1000),
    inProcessMs: Math.round(compile),
    inProcessPlaybooksPerSecond: Math.round((scale.validateN / compile) * 1000),
    runsWallMs: walls.map(Math.round),
  };
}
