#!/usr/bin/env node
// The `grove` executable as npm links it. It is committed (not built) so that it
// exists when `npm ci` links workspace bins, before `npm run build` has made
// dist/bin.js: npm skips a bin whose file is missing at install time.
require('../dist/bin.js');
