/**
 * `grove names`: the names this host's port mapper knows, printed as `epmd -names`
 * prints them, so scripts written for one read the other.
 */
import { EpmdError, names } from '@grove/distribution';
import { checkEpmdPort } from './node_start';

/** Where names writes. */
export interface NamesIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Lists the registered names: 0, or 1 when no port mapper answers. */
export async function runNames(io: NamesIo): Promise<number> {
  const port = checkEpmdPort();
  let answer;
  try {
    answer = await names({ port });
  } catch (e) {
    if (!(e instanceof EpmdError) || e.kind !== 'unreachable') throw e;
    io.stderr.write(`grove names: no port mapper is running on 127.0.0.1:${port} (it starts with the first node on this host)\n`);
    return 1;
  }
  const lines = [`epmd: up and running on port ${answer.epmdPort} with data:`];
  for (const n of answer.nodes) lines.push(`name ${n.name} at port ${n.port}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
