/**
 * One jest run for the whole monorepo. Type checking happens in `tsc -b` (which
 * `npm test` runs first, tests included); ts-jest only transpiles here, so the
 * suite starts fast. `@grove/*` imports (and `@grove/<pkg>/internal` subpaths)
 * resolve to the packages' sources so that every test sees one copy of each class.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/packages/[^/]+/dist/'],
  moduleNameMapper: {
    '^@grove/([a-z]+)$': '<rootDir>/packages/$1/src',
    '^@grove/([a-z]+)/internal$': '<rootDir>/packages/$1/src/internal',
    '^@grove/testing/jest$': '<rootDir>/packages/testing/src/jest',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json', diagnostics: false }],
  },
  testTimeout: 30000,
};
