// The tests StrykerJS runs against each mutant (npm run mutate, stryker.config.json): the unit project
// and the sender's tests, which need no emulators. One project, so Stryker can map tests to mutants.
import base from './jest.config.js';

const unit = base.projects.find((project) => project.displayName === 'unit');

export default {
  ...unit,
  displayName: 'mutate',
  testMatch: [
    '<rootDir>/test/unit/**/*.test.ts',
    '<rootDir>/test/integration/sender*.test.ts',
    '<rootDir>/test/integration/guard*.test.ts',
  ],
};
