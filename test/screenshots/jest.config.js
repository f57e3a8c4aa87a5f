// Screenshots of the console for the README (docs/screenshots/*.png): `npm run screenshots`. Not a
// test of `npm test`: it drives the same stack as the browser tests and writes pictures.
const path = require('node:path');
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: path.resolve(__dirname, '..', '..'),
  testEnvironment: 'node',
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testMatch: ['<rootDir>/test/screenshots/**/*.shots.ts'],
  testTimeout: 300_000,
};
