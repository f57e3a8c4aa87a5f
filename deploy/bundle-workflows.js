#!/usr/bin/env node
// Bundles the compiled workflows (dist/workflows) into one file at image build time, so a worker
// container starts without running webpack (seconds of CPU and memory on every start) and every
// worker of a deployment runs byte-identical workflow code. worker/worker.ts loads
// dist/workflow-bundle.js when it exists.
// Usage: node deploy/bundle-workflows.js [OUTPUT]   (default dist/workflow-bundle.js; run after `npm run build`)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode } = require('@temporalio/worker');

const root = path.resolve(__dirname, '..');
const out = path.resolve(process.argv[2] || path.join(root, 'dist', 'workflow-bundle.js'));
const workflows = path.join(root, 'dist', 'workflows');

if (!fs.existsSync(path.join(workflows, 'index.js'))) {
  console.error('bundle-workflows: dist/workflows/index.js is missing: run `npm run build` first.');
  process.exit(2);
}
bundleWorkflowCode({ workflowsPath: require.resolve(workflows) })
  .then(({ code }) => {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, code);
    console.log(`bundle-workflows: wrote ${path.relative(process.cwd(), out)} (${code.length} bytes)`);
  })
  .catch((err) => {
    console.error(`bundle-workflows: ${err && err.message ? err.message : err}`);
    process.exitCode = 1;
  });
