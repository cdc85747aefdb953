/**
 * Piped stdin for the REPL, one line at a time.
 *
 * Node's REPL reads every line it is given as soon as it arrives, even while an
 * earlier line is still being evaluated (an `await`), so piped input would run out
 * of order. The feeder holds the lines and passes the next one only when the REPL
 * shows its prompt again (after a result, an error, or `...` for a line that
 * continues). When the source ends, the REPL's input ends after the last line.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export class LineFeeder {
  private readonly lines: string[] = [];
  private waiting = false;
  private ended = false;
  private finished = false;

  /**
   * @param source where the lines come from (the shell's stdin).
   * @param sink the REPL's input.
   */
  constructor(source: Readable, private readonly sink: Writable) {
    const rl = createInterface({ input: source, crlfDelay: Infinity, terminal: false });
    rl.on('line', (line) => {
      this.lines.push(line);
      this.pump();
    });
    rl.on('close', () => {
      this.ended = true;
      this.pump();
    });
  }

  /** The REPL shows its prompt: it is ready for the next line. */
  ready(): void {
    this.waiting = false;
    this.pump();
  }

  private pump(): void {
    if (this.waiting || this.finished) return;
    const line = this.lines.shift();
    if (line !== undefined) {
      this.waiting = true;
      this.sink.write(line + '\n');
    } else if (this.ended) {
      this.finished = true;
      this.sink.end();
    }
  }
}
