// `npm start` runs this file after `npm run build`: the demo itself is main.ts,
// compiled to dist/ by the root build (tsc -b, see examples/demo/tsconfig.json).
'use strict';
require('./dist/main.js');
