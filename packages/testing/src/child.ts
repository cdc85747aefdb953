/**
 * The child side of {@link ChildNode}: a script run in its own OS process calls
 * `serveChild(main)`. `main()` starts the node (with {@link childNodeOptions}) and
 * returns the commands the test may request; the script then writes `{ready}` and
 * answers each request line on stdin. It exits when stdin closes (the test went
 * away), and with code 1 when `main` fails.
 */
import * as readline from 'node:readline';

/** A command a test may run in the child: gets the request's fields, returns a JSON-able answer. */
export type ChildCommand = (request: Record<string, unknown>) => unknown;

/** The name, cookie and port mapper port the parent gave this child. */
export function childNodeOptions(env: NodeJS.ProcessEnv = process.env): { name: string; cookie: string; epmdPort: number } {
  const name = env['TEST_NODE_NAME'];
  const cookie = env['TEST_COOKIE'];
  const port = Number(env['GROVE_EPMD_PORT']);
  if (name === undefined || cookie === undefined || !Number.isInteger(port)) {
    throw new Error('childNodeOptions: TEST_NODE_NAME, TEST_COOKIE and GROVE_EPMD_PORT must be set (run the script with ChildNode.start)');
  }
  return { name, cookie, epmdPort: port };
}

function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function answer(commands: Record<string, ChildCommand>, line: string): Promise<void> {
  let req: { id?: unknown; cmd?: unknown } | undefined;
  try {
    req = JSON.parse(line) as { id?: unknown; cmd?: unknown };
    const fn = commands[String(req.cmd)];
    if (fn === undefined) throw new Error(`unknown command ${String(req.cmd)}`);
    out({ id: req.id, ok: (await fn(req as Record<string, unknown>)) ?? null });
  } catch (e) {
    out({ id: req?.id ?? null, error: String(e instanceof Error && e.stack !== undefined ? e.stack : e) });
  }
}

/** Runs `main`, then serves its commands to the parent over stdin/stdout. */
export function serveChild(main: () => Promise<Record<string, ChildCommand>>): void {
  main().then(
    (commands) => {
      readline.createInterface({ input: process.stdin }).on('line', (line) => void answer(commands, line));
      process.stdin.on('end', () => process.exit(0));
      out({ ready: process.env['TEST_NODE_NAME'] ?? true });
    },
    (e: unknown) => {
      process.stderr.write(`serveChild: main failed: ${e instanceof Error && e.stack !== undefined ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
