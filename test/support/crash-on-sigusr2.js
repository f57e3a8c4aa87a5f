// Loaded into `nightshift start` by test/integration/start.test.ts (NODE_OPTIONS=--require …):
// SIGUSR2 makes the process throw an uncaught error, as a bug anywhere in it would.
'use strict';
process.on('SIGUSR2', () =>
  setImmediate(() => {
    throw new Error('injected uncaught error');
  }),
);
