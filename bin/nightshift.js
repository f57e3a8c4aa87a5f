#!/usr/bin/env node
// The `nightshift` command. Runs the compiled CLI from dist/ (built by `npm run build` or scripts/setup.sh).
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error('nightshift: not built yet: run `npm run setup` (or `npm start`) first.');
  process.exit(2);
}
require(main)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    console.error(`nightshift: ${err && err.message ? err.message : err}`);
    process.exitCode = 1;
  });
