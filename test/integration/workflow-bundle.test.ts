// Workers run the workflow bundle built at build time, and never a stale one: a bundle older than the
// compiled code, or built with another workflow SDK, is bundled again (and kept) when a worker starts.
// Runs on a copy of dist/ (inside the repository, so node_modules resolve), not on the real one.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.join(__dirname, '..', '..');
const COPY = path.join(ROOT, '.nightshift', `bundle-test-${process.pid}`, 'dist');

type BundleModule = typeof import('../../worker/workflow-bundle');

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'worker', 'workflow-bundle.js'))) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('build failed');
  }
  fs.cpSync(path.join(ROOT, 'dist'), COPY, {
    recursive: true,
    filter: (src) =>
      !['workflow-bundle.js', 'workflow-bundle.json'].map((f) => path.join(ROOT, 'dist', f)).includes(src),
  });
});
afterAll(() => fs.rmSync(path.dirname(COPY), { recursive: true, force: true }));

it('uses a fresh bundle, and bundles again when it is missing, older than the code or from another SDK', async () => {
  jest.setTimeout(120_000);
  // The compiled module, as a worker in dist/ runs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module path known at run time
  const m = require(path.join(COPY, 'worker', 'workflow-bundle.js')) as BundleModule;
  const bundle = path.join(COPY, 'workflow-bundle.js');
  const meta = path.join(COPY, 'workflow-bundle.json');
  expect(m.WORKFLOW_BUNDLE).toBe(bundle);

  // Missing: bundled at start, kept for the next one.
  expect(m.bundleIsFresh()).toBe(false);
  expect(await m.workflowSource()).toEqual({ workflowBundle: { code: expect.any(String) } });
  expect(m.bundleIsFresh()).toBe(true);
  expect(await m.workflowSource()).toEqual({ workflowBundle: { codePath: bundle } });

  // The code changed after the bundle was built.
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(COPY, 'engine', 'expr', 'runtime.js'), later, later);
  expect(m.bundleIsFresh()).toBe(false);
  await m.writeWorkflowBundle();
  fs.utimesSync(bundle, new Date(later.getTime() + 1000), new Date(later.getTime() + 1000));
  expect(m.bundleIsFresh()).toBe(true);

  // Built with another SDK.
  fs.writeFileSync(meta, JSON.stringify({ sdk: '0.0.1' }));
  expect(m.bundleIsFresh()).toBe(false);
});
