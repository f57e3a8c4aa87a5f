// The slow production-topology test (PostgreSQL + Temporal built from Go modules + `nightshift worker`
// and `nightshift server` as separate processes). Not part of `npm test`: the first run builds the
// Temporal server (minutes). Run: npx jest -c test/prod/jest.config.js   (docs/deployment.md)
// No globalSetup: this test starts its own Temporal, unlike the integration tests.
const path = require('node:path');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: path.resolve(__dirname, '..', '..'),
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@marcbachmann/cel-js)/)'],
  testMatch: ['<rootDir>/test/prod/**/*.test.ts'],
  // The first run builds the Temporal server from Go modules.
  testTimeout: 30 * 60 * 1000,
};
