// The tests StrykerJS runs against functions/core/ (npm run mutate:core): the core's and the shared factories'
// unit tests, and the OpenAPI document's (core/openapi.ts is held to the committed docs/openapi.json). Narrower than jest.mutate.config.js, whose every module load costs seconds per mutant on 2 cores.
import base from './jest.mutate.config.js';

export default {
  ...base,
  displayName: 'mutate-core',
  testMatch: [
    '<rootDir>/test/unit/core/**/*.test.ts',
    '<rootDir>/test/unit/shared/**/*.test.ts',
    '<rootDir>/test/unit/openapi.test.ts',
  ],
};
