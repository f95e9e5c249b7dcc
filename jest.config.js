/** Jest: TypeScript through esbuild; unit tests beside the code, integration tests under test/. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': '<rootDir>/test/support/esbuild-transform.js' },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // Refuses every connection that would leave this machine (a guard on net.Socket#connect).
  setupFilesAfterEnv: ['<rootDir>/test/setup-network.ts'],
  testTimeout: 30000,
  // Twice a PostgreSQL run finished, wrote its results and then did not exit, idle, with only
  // the esbuild service's pipes open; the cause is not found yet. Exiting once the results are
  // in keeps CI from hanging on it; a failing test still fails the run.
  forceExit: true,
};
