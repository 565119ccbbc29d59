'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS worker entry: require is the point */
// Entry of the CPU pool's worker threads: one export per task (piscina's `name`). Piscina loads
// workers as plain JavaScript; the gateway runs its TypeScript through tsx (bin/gatehouse, tests),
// whose hook the threads normally inherit with the exec arguments. Registered here too, so the pool
// also works when the parent loaded tsx another way; a compiled build loads tasks.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, 'tasks.js');
if (!existsSync(built) && !require.extensions['.ts']) require('tsx/cjs');
module.exports = require(existsSync(built) ? built : './tasks.ts').TASKS;
