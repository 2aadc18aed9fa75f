// Jest runs TypeScript through @swc/jest (ts-jest does not work with TypeScript 7).
// Four projects mirror the architecture: unit (pure core), integration (emulators),
// infra (synthesized template) and e2e (the local stack and dashboard, from outside).
const transform = { '^.+\\.(ts|js)$': ['@swc/jest'] };
const common = {
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // middy 7 ships ESM only: map it to its entry files and let swc compile them to CommonJS.
  moduleNameMapper: {
    '^@middy/core$': '<rootDir>/node_modules/@middy/core/index.js',
    '^@middy/util$': '<rootDir>/node_modules/@middy/util/index.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Encrata's real CLI (npm run test:cli, with ENCRATA_CLI_BIN): not in npm test, CI cannot build it.
    { ...common, displayName: 'cli', testMatch: ['<rootDir>/test/cli/**/*.test.ts'] },
  ],
};
