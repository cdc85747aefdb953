'use strict';
/**
 * Jest's transform for the packages' own sources (packages/<pkg>/src): TypeScript's
 * transpileModule with the options the packages are built with, so a test runs the
 * same code `tsc -b` emits. In particular class fields are assigned in the
 * constructor (`useDefineForClassFields: false`, set in each package's tsconfig.json;
 * see bench/PROFILE-core.md, "Class fields"), while tests and examples, compiled by
 * ts-jest, keep TypeScript's default for ES2022 (defined fields), as a user's code
 * has. ts-jest cannot do both in one run: it keeps one set of compiler options per
 * jest project, whichever transform entry comes first.
 */
const crypto = require('node:crypto');
const ts = require('typescript');

const OPTIONS = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  esModuleInterop: true,
  isolatedModules: true,
  useDefineForClassFields: false,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: true,
};

const KEY = `${ts.version}:${JSON.stringify(OPTIONS)}:${__filename}`;

module.exports = {
  process(source, path) {
    const out = ts.transpileModule(source, { compilerOptions: OPTIONS, fileName: path });
    return { code: out.outputText };
  },
  getCacheKey(source, path) {
    return crypto.createHash('sha1').update(KEY).update('\0').update(path).update('\0').update(source).digest('hex');
  },
};
