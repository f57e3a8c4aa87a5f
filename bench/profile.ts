// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time by function and by
// origin (our code, each npm package, Node internals, GC, idle), to say where a process spends its CPU.
//   node bench/out/build/bench/profile.js bench/out/prof/latency/worker/CPU.<date>.<pid>.<thread>.cpuprofile [top]
// (one file per thread: the worker's workflow thread is the one that is not thread 0)
import fs from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function origin(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(compiler|workflows|activities|worker|server|cli|bench|test)\//.exec(url);
  if (own) return `nightshift ${own[1]}/`;
  if (url.includes('workflow-bundle')) return 'workflow bundle';
  return url;
}

export function summarize(file: string, top = 20): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const fns = new Map<string, number>();
  const origins = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
    const o = origin(cf.url, cf.functionName);
    origins.set(o, (origins.get(o) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1)}%`;
  const busy = total - (origins.get('(idle)') ?? 0);
  const lines = [
    `${path.relative(process.cwd(), file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`,
    'self time by origin:',
    ...[...origins]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([o, us]) => `  ${pct(us).padStart(6)}  ${o}`),
    `top ${top} functions by self time:`,
    ...[...fns]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, us]) => `  ${pct(us).padStart(6)}  ${f}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile.js FILE.cpuprofile [top]');
    process.exitCode = 2;
  } else console.log(summarize(file, top ? Number(top) : 20));
}
