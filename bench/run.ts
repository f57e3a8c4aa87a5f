// `npm run bench` — Nightshift's benchmarks against a real Temporal dev server and the fakes.
//   node bench/out/build/bench/run.js [--quick]
//     [--only=latency,overhead,storm,approval,waiting,contain,scaleout,validate]
//                                     [--cpu-prof] [--waiting=N] [--temporal=postgres]
//        node bench/out/build/bench/run.js --report=bench/out/results-….json   (the table again, no run)
// --temporal=postgres runs the scenarios on the production topology (scripts/prod-temporal.sh:
// PostgreSQL + the Temporal server) instead of the embedded dev server.
// Each scenario gets a fresh environment (bench/lib/stack.ts). Results go to bench/out/ (JSON); a full
// run (no --quick, no --only) also rewrites bench/RESULTS.md. These are measurements, not tests:
// nothing here fails on a slow number.
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { writeWorkflowBundle } from '../worker/workflow-bundle';
import { Stack, OUT, REPO, TEMPORAL_BIN, prodTemporal } from './lib/stack';
import { machineInfo } from './lib/proc';
import { execFileSync } from 'node:child_process';
import { latencyScenario } from './scenarios/latency';
import { overheadScenario } from './scenarios/overhead';
import { DOCUMENTED_CALLS_PER_HOUR, DOCUMENTED_CALLS_PER_MINUTE } from '../integrations/defender/quota';
import { stormScenario } from './scenarios/storm';
import { approvalScenario } from './scenarios/approval';
import { waitingPlaybook, waitingScenario } from './scenarios/waiting';
import { validateScenario } from './scenarios/validate';
import { containScenario, CONTAIN_LIFECYCLE } from './scenarios/contain';
import { scaleoutScenario } from './scenarios/scaleout';
import { writeReport } from './lib/report';

export interface Scale {
  quick: boolean;
  warmup: number;
  latencyN: number;
  concurrency: number;
  overheadN: number;
  stormDetections: number;
  stormDevices: number;
  stormIncidents: number;
  /** Defender quota for the storm (calls per minute; the documented 100), Nightshift's and the fake's. */
  stormCallsPerMinute: number;
  approvalsN: number;
  waitingN: number;
  /** Detections per worker count in the scale-out comparison. */
  scaleoutN: number;
  validateN: number;
}

const FULL: Scale = {
  quick: false,
  warmup: 30,
  latencyN: 500,
  concurrency: 50,
  overheadN: 150,
  stormDetections: 2000,
  stormDevices: 300,
  stormIncidents: 40,
  stormCallsPerMinute: DOCUMENTED_CALLS_PER_MINUTE,
  approvalsN: 300,
  // The goal: 10,000 measured, not extrapolated.
  waitingN: 10_000,
  scaleoutN: 500,
  validateN: 500,
};

const QUICK: Scale = {
  quick: true,
  warmup: 5,
  latencyN: 40,
  concurrency: 10,
  overheadN: 20,
  stormDetections: 200,
  stormDevices: 30,
  stormIncidents: 6,
  stormCallsPerMinute: DOCUMENTED_CALLS_PER_MINUTE,
  approvalsN: 30,
  waitingN: 200,
  scaleoutN: 60,
  validateN: 50,
};

export const SCENARIOS = [
  'latency',
  'overhead',
  'storm',
  'approval',
  'waiting',
  'contain',
  'scaleout',
  'validate',
] as const;
type Name = (typeof SCENARIOS)[number];

function parseArgs(argv: string[]): {
  scale: Scale;
  only: Name[];
  cpuProf: boolean;
  partial: boolean;
  dynamicConfig: string[];
  temporal: 'dev' | 'postgres';
} {
  const dynamicConfig: string[] = [];
  let temporal: 'dev' | 'postgres' = 'dev';
  let scale = { ...FULL };
  let only: Name[] = [...SCENARIOS];
  let cpuProf = false;
  let partial = false;
  for (const a of argv) {
    if (a === '--quick') scale = { ...QUICK };
    else if (a === '--cpu-prof') cpuProf = true;
    else if (a === '--temporal=postgres' || a === '--temporal=dev') {
      temporal = a.slice(11) as 'dev' | 'postgres';
      partial ||= temporal !== 'dev';
    } else if (a.startsWith('--temporal-dc=')) {
      dynamicConfig.push(a.slice(14));
      partial = true;
    } else if (a.startsWith('--only=')) {
      only = a.slice(7).split(',') as Name[];
      partial = true;
      for (const o of only) if (!SCENARIOS.includes(o)) throw new Error(`unknown scenario ${o}`);
    } else if (a.startsWith('--waiting=')) {
      partial = true;
      scale.waitingN = Number(a.slice(10));
    } else throw new Error(`unknown argument ${a}`);
  }
  if (argv.includes('--quick')) {
    // --quick replaced the scale: re-apply an explicit --waiting.
    const w = argv.find((a) => a.startsWith('--waiting='));
    if (w) scale.waitingN = Number(w.slice(10));
  }
  return { scale, only, cpuProf, partial: partial || scale.quick, dynamicConfig, temporal };
}

/** The Temporal TS SDK's version, from its package.json. */
function sdkVersion(): string {
  const pkg = path.join(REPO, 'node_modules', '@temporalio', 'worker', 'package.json');
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** The workflow bundle with the bench's workflows, where worker/workflow-bundle.ts looks for a prebuilt one. */
async function bundle(): Promise<void> {
  await writeWorkflowBundle(new DefaultLogger('WARN'), require.resolve('./workflows'));
}

async function main(): Promise<void> {
  // Rewrites RESULTS.md's table from a saved results document (after the report changed), running nothing.
  const report = process.argv.find((a) => a.startsWith('--report='));
  if (report) {
    const target = path.join(REPO, 'bench', 'RESULTS.md');
    fs.writeFileSync(target, writeReport(JSON.parse(fs.readFileSync(report.slice(9), 'utf8'))));
    console.log(`bench: table of ${report.slice(9)} in ${path.relative(REPO, target)}`);
    return;
  }
  const { scale, only, cpuProf, partial, dynamicConfig, temporal } = parseArgs(process.argv.slice(2));
  fs.mkdirSync(OUT, { recursive: true });
  const started = new Date();
  const env = {
    ...machineInfo(),
    temporal: execFileSync(TEMPORAL_BIN, ['--version'], { encoding: 'utf8' }).trim(),
    temporalSdk: sdkVersion(),
  };
  console.log(`bench: ${JSON.stringify(env)}`);
  // The replay workers of scenario 5 run in this process: only their warnings belong in its output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await bundle();
  const results: Record<string, unknown> = {};
  const save = () => {
    const doc = { startedAt: started.toISOString(), env, scale, cpuProf, dynamicConfig, temporal, results };
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    fs.writeFileSync(path.join(OUT, `results-${stamp}.json`), JSON.stringify(doc, null, 2));
    fs.writeFileSync(path.join(OUT, 'latest.json'), JSON.stringify(doc, null, 2));
    return doc;
  };
  for (const name of only) {
    const t0 = Date.now();
    console.log(`bench: ${name}…`);
    try {
      if (name === 'validate') {
        results[name] = await validateScenario(scale);
      } else if (name === 'scaleout') {
        results[name] = await scaleoutScenario(scale, (workers) =>
          Stack.start({
            name: `${name}-${workers}`,
            org: 'night',
            cpuProf,
            temporalDynamicConfig: dynamicConfig,
            temporal,
            workers,
          }),
        );
      } else {
        const stack = await Stack.start({
          name,
          org: name === 'approval' || name === 'waiting' ? 'day' : 'night',
          cpuProf,
          temporalDynamicConfig: dynamicConfig,
          temporal,
          ...stackOptions(name, scale),
        });
        try {
          results[name] = await run(name, stack, scale);
        } finally {
          await stack.stop();
        }
      }
    } catch (err) {
      results[name] = { error: String((err as Error).stack ?? err) };
    }
    console.log(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(JSON.stringify(results[name], null, 2));
    save();
  }
  // The production topology was started for this run (its data is kept; the next run reuses it).
  if (temporal === 'postgres') prodTemporal('stop');
  const doc = save();
  const md = writeReport(doc);
  const target = partial ? path.join(OUT, 'RESULTS.partial.md') : path.join(REPO, 'bench', 'RESULTS.md');
  fs.writeFileSync(target, md);
  console.log(
    `bench: results in ${path.relative(REPO, path.join(OUT, 'latest.json'))}, table in ${path.relative(REPO, target)}`,
  );
}

function stackOptions(name: Name, scale: Scale): Partial<ConstructorParameters<typeof Stack>[0]> {
  if (name === 'contain')
    return {
      // The product's defaults: the documented quota and poll interval, and the fake keeps the same quota.
      defenderEnv: {
        DEFENDER_CALLS_PER_MINUTE: '100',
        DEFENDER_CALLS_PER_HOUR: '1500',
        DEFENDER_POLL_INTERVAL_MS: '10000',
      },
      fakeDefender: {
        rateLimit: { limit: 100, windowMs: 60_000, retryAfterS: 5 },
        lifecycle: CONTAIN_LIFECYCLE,
      },
    };
  if (name === 'waiting') return { playbook: waitingPlaybook() };
  if (name !== 'storm') return {};
  const perMinute = scale.stormCallsPerMinute;
  return {
    // Nightshift's quota and the fake's own are the same (the fake counts the minute only).
    defenderEnv: {
      DEFENDER_CALLS_PER_MINUTE: String(perMinute),
      DEFENDER_CALLS_PER_HOUR: String(DOCUMENTED_CALLS_PER_HOUR),
    },
    fakeDefender: { rateLimit: { limit: perMinute, windowMs: 60_000, retryAfterS: 5 } },
  };
}

async function run(
  name: Exclude<Name, 'validate' | 'scaleout'>,
  stack: Stack,
  scale: Scale,
): Promise<unknown> {
  switch (name) {
    case 'latency':
      return latencyScenario(stack, scale, 'lat');
    case 'overhead':
      return overheadScenario(stack, scale);
    case 'storm':
      return stormScenario(stack, scale);
    case 'approval':
      return approvalScenario(stack, scale);
    case 'waiting':
      return waitingScenario(stack, scale);
    case 'contain':
      return containScenario(stack, scale);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
