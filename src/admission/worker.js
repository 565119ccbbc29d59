'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS worker entry: require is the point */
// The CPU pool's thread entry when the gateway runs from TypeScript sources (bin/gatehouse, tests):
// a thread does not always inherit the parent's tsx hook (the test runner's does not), so it is
// registered here before loading tasks.ts. A compiled build loads tasks.js directly (cpuPool.ts).
if (!require.extensions['.ts']) require('tsx/cjs');
module.exports = require('./tasks.ts');
