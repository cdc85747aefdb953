#!/usr/bin/env node
/**
 * The `grove` executable. Exits once the command is done, after stdout and stderr
 * have been flushed (a pipe may still hold output when `process.exit` runs).
 */
import { main } from './main';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
