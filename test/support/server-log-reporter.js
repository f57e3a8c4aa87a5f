// Tells global teardown whether the run failed, so it keeps the Temporal server log only then.
// Reporters run in the same process as globalSetup/globalTeardown.
class ServerLogReporter {
  onRunComplete(_contexts, results) {
    globalThis.__NIGHTSHIFT_TESTS_FAILED__ =
      results.numFailedTests > 0 || results.numRuntimeErrorTestSuites > 0 || results.numFailedTestSuites > 0;
  }
}
module.exports = ServerLogReporter;
