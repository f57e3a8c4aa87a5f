#!/usr/bin/env node
// Bundles the compiled workflows (dist/workflows) into dist/workflow-bundle.js, so a worker starts
// without running webpack (seconds of CPU and a bundler report in its logs) and every worker of a
// deployment runs byte-identical workflow code. Run by `npm run build` (hence scripts/setup.sh and the
// Dockerfile); does nothing when the bundle is already newer than everything it is built from.
// The freshness rule and the bundling are worker/workflow-bundle.ts's, which workers apply at start.
// Usage: node deploy/bundle-workflows.js [--force]   (after `tsc -p tsconfig.build.json`)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const compiled = path.join(root, 'dist', 'worker', 'workflow-bundle.js');
if (!fs.existsSync(compiled)) {
  console.error('bundle-workflows: dist/ is not built: run `npx tsc -p tsconfig.build.json` first.');
  process.exit(2);
}
const { bundleIsFresh, writeWorkflowBundle, WORKFLOW_BUNDLE } = require(compiled);
const { DefaultLogger } = require('@temporalio/worker');

if (!process.argv.includes('--force') && bundleIsFresh()) process.exit(0);
// Warnings only: webpack's report is not news at build time.
writeWorkflowBundle(new DefaultLogger('WARN'))
  .then((bytes) => {
    console.log(`bundle-workflows: wrote ${path.relative(process.cwd(), WORKFLOW_BUNDLE)} (${bytes} bytes)`);
  })
  .catch((err) => {
    console.error(`bundle-workflows: ${err && err.message ? err.message : err}`);
    process.exitCode = 1;
  });
