'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS worker entry: require is the point */
// Entry of the analyzer's worker threads. Piscina loads workers as plain JavaScript; the gateway runs
// its TypeScript through tsx (bin/gatehouse, tests), whose hook threads normally inherit with the
// exec arguments. Registered here too, so the pool also works when the parent loaded tsx otherwise.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, 'task.js');
if (!existsSync(built) && !require.extensions['.ts']) require('tsx/cjs');
module.exports = require(existsSync(built) ? built : './task.ts').default;
