// The workflow bundle, built at build time (`npm run build`, scripts/setup.sh, the Docker image) so a
// worker starts without webpack — no seconds of CPU, no 17-line bundler report in the logs. A worker
// uses dist/workflow-bundle.js when it is at least as new as every compiled module and was built with
// the installed workflow SDK; otherwise it bundles again (quietly) and keeps the result for the next
// start: a stale bundle is never run.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type Logger, type WorkerOptions } from '@temporalio/worker';

const DIST = path.resolve(__dirname, '..');
/**
 * Compiled code lives in dist/ (the benchmark's in bench/out/build/, with its own bundle); under
 * ts-jest/swc this module runs from source and there is none.
 */
const COMPILED = path.extname(__filename) === '.js';
export const WORKFLOW_BUNDLE = path.join(DIST, 'workflow-bundle.js');
/** Beside the bundle: the workflow SDK it was built with (package mtimes say nothing: npm fixes them). */
const BUNDLE_META = path.join(DIST, 'workflow-bundle.json');

/**
 * Modules loaded once per worker and shared by every run (the SDK's `preloadModules`). Otherwise each run
 * instantiates its own copy of every module it imports — with `reuseV8Context` only preloaded modules
 * are shared — so each cached run held its own luxon, CEL library, interpreter, compiled org and CEL
 * environment, and built them again on every start and replay. Safe because these modules keep no
 * per-run state: luxon and the CEL library are pure; engine/ and core/ (the interpreter's graph) hold no
 * module-level state (the run's state and runtime are passed in; design.md: the interpreter is pure);
 * workflows/shared-org.ts keys what it keeps by the org's content hash. The SDK freezes what they export.
 * The workflows themselves (workflows/*.ts other than shared-org) stay per run. The SDK's own modules
 * are shared already (loaded when the worker's V8 context starts).
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [
  'luxon',
  '@marcbachmann/cel-js',
  require.resolve('../engine/interpreter'),
  require.resolve('../workflows/shared-org'),
];

/** Bundler options of every workflow bundle of the product (worker, build, bench, tests). */
export function bundleOptions(workflowsPath: string, logger?: Logger) {
  return { workflowsPath, logger, preloadModules: [...SHARED_WORKFLOW_MODULES] };
}

function sdkVersion(): string {
  const pkg = path.join(path.dirname(require.resolve('@temporalio/workflow')), '..', 'package.json');
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function newestInputMs(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && p !== WORKFLOW_BUNDLE)
        newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(DIST);
  return newest;
}

/** Whether dist/workflow-bundle.js exists and nothing it was built from changed since. */
export function bundleIsFresh(): boolean {
  if (!COMPILED || !fs.existsSync(WORKFLOW_BUNDLE)) return false;
  try {
    const meta = JSON.parse(fs.readFileSync(BUNDLE_META, 'utf8')) as { sdk?: string };
    if (meta.sdk !== sdkVersion()) return false;
  } catch {
    return false;
  }
  return fs.statSync(WORKFLOW_BUNDLE).mtimeMs >= newestInputMs();
}

function save(code: string): void {
  // Atomically: a worker starting meanwhile never reads half a file.
  const tmp = `${WORKFLOW_BUNDLE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, WORKFLOW_BUNDLE);
  fs.writeFileSync(BUNDLE_META, JSON.stringify({ sdk: sdkVersion() }) + '\n');
}

/** Bundles dist/workflows (or `workflowsPath`: the benchmark adds its own) into dist/workflow-bundle.js. */
export async function writeWorkflowBundle(
  logger?: Logger,
  workflowsPath = require.resolve('../workflows'),
): Promise<number> {
  const { code } = await bundleWorkflowCode(bundleOptions(workflowsPath, logger));
  save(code);
  return code.length;
}

/** What a worker runs: the fresh prebuilt bundle, else a new one (kept when dist/ is writable). */
export async function workflowSource(
  logger?: Logger,
): Promise<Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'>> {
  if (!COMPILED) {
    return {
      workflowsPath: require.resolve('../workflows'),
      bundlerOptions: { preloadModules: [...SHARED_WORKFLOW_MODULES] },
    };
  }
  if (bundleIsFresh()) return { workflowBundle: { codePath: WORKFLOW_BUNDLE } };
  logger?.warn('The workflow bundle is missing or older than the code: bundling the workflows now', {});
  const { code } = await bundleWorkflowCode(bundleOptions(require.resolve('../workflows'), logger));
  try {
    save(code);
  } catch {
    // A read-only dist/ (an image built without its bundle): this start runs the bundle from memory.
  }
  return { workflowBundle: { code } };
}
