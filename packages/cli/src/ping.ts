/**
 * `grove ping NODE`: net_adm:ping from the command line. A temporary hidden node
 * (so it never shows in anyone's `nodes()` nor joins the mesh) connects to NODE with
 * the cookie, asks its net kernel, prints `pong` or `pang`, and goes away.
 */
import { randomBytes } from 'node:crypto';
import { localHostName, nodeNameKind } from '@grove/distribution';
import { startNode } from './node_start';

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
  const alive = `grove_ping_${process.pid}_${randomBytes(3).toString('hex')}`;
  if (nodeNameKind(target) === 'short') return `${alive}@${localHostName('short')}`;
  const local = localHostName('long');
  return `${alive}@${local.includes('.') ? local : '127.0.0.1'}`;
}
