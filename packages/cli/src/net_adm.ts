/**
 * `grove ping NODE` and `grove names`: OTP's `net_adm:ping/1` and `net_adm:names/0`
 * from the command line.
 *
 * - ping: a temporary hidden node (so it never shows in anyone's `nodes()` nor joins
 *   the mesh) connects to NODE with the cookie, asks its net kernel, prints `pong` or
 *   `pang`, and goes away.
 * - names: the names this host's port mapper knows, printed as `epmd -names` prints
 *   them, so scripts written for one read the other.
 */
import { EpmdError, names } from '@grove/distribution';
import { checkEpmdPort, helperName, startNode } from './node_start';

/** Where ping writes. */
export interface PingIo {
  readonly stdout: NodeJS.WritableStream;
}

/** Pings `target`: 0 after printing `pong`, 1 after printing `pang`. */
export async function runPing(target: string, cookie: string | undefined, io: PingIo): Promise<number> {
  const started = await startNode({ name: pingerName(target), cookie, hidden: true });
  let answer: 'pong' | 'pang';
  try {
    answer = await started.dist!.ping(target);
  } finally {
    await started.stop();
  }
  io.stdout.write(answer + '\n');
  return answer === 'pong' ? 0 : 1;
}

/**
 * A unique name of the same kind as `target` (short and long names do not mix). This
 * node only dials out, so its host part is a label: this host's name, or 127.0.0.1
 * for a long name on a host whose name is not fully qualified.
 */
export function pingerName(target: string): string {
  return helperName('grove_ping', target);
}

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
