// Builds the console's browser assets into dist/console-assets/: its one script (TypeScript for the
// browser, compiled by tsc with the DOM library) and its one stylesheet (a plain file, copied). No CDN,
// nothing fetched: what the console loads at run time is exactly these two files.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist', 'console-assets');
fs.mkdirSync(out, { recursive: true });
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'console', 'client', 'tsconfig.json')],
  {
    stdio: 'inherit',
  },
);
fs.copyFileSync(path.join(root, 'console', 'assets', 'console.css'), path.join(out, 'console.css'));
