#!/usr/bin/env node
/**
 * The `grove` executable. Exits once the command is done, after stdout and stderr
 * have been flushed (a pipe may still hold output when `process.exit` runs).
 */
import { preferProgramGrove, programDir } from './run/program_grove';

// Before any of Grove loads: `grove run FILE` uses the program's own @grove/core when it has one.
preferProgramGrove(programDir(process.argv.slice(2)));
const { main } = require('./main') as typeof import('./main');

// A reader that went away (`grove shell | head -1`) ends the command quietly, as a
// shell pipeline expects, instead of an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
