/** Jest: TypeScript through esbuild; unit tests beside the code, integration tests under test/. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': '<rootDir>/test/support/esbuild-transform.js' },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // Refuses every connection that would leave this machine (a guard on net.Socket#connect).
  setupFilesAfterEnv: ['<rootDir>/test/setup-network.ts'],
  testTimeout: 30000,
};
