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
    // Transpile only (tsc -p tsconfig.test.json type-checks the tests). CommonJS emit, as
    // the build's node16 emit is for these .ts files, except that `await import(x)` in a
    // test becomes a require (jest runs test code as CommonJS, without vm modules).
    // The packages' sources with the options their tsconfig.json builds them with
    // (class fields assigned in the constructor); tests and examples keep TypeScript's
    // default for ES2022, defined fields, as a user's code has.
    '^.+/packages/[^/]+/src/.+\\.ts$': '<rootDir>/scripts/jest-transpile-src.js',
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: { module: 'commonjs', target: 'ES2022', experimentalDecorators: true, esModuleInterop: true, isolatedModules: true },
        diagnostics: false,
      },
    ],
  },
  testTimeout: 30000,
};
