/**
 * The chat server node. The server only keeps who is online: it hands out
 * nicknames (refusing one that is taken) and tells a session whose pid a nickname
 * has. Room traffic never goes through it: rooms are pg groups, and sessions send
 * to each other directly.
 *
 *   npx grove run --name chat@127.0.0.1 --cookie chat examples/chat/dist/server.js
 */
import { Call, GenServer, Info, type DownMessage, type Node, type Pid } from '@grove/core';
import { NICK, SERVER, type LoginReply } from './protocol';

export class ChatServer extends GenServer {
  private readonly sessions = new Map<string, Pid>(); // nick -> session
  private readonly monitors = new Map<number | string, string>(); // monitor ref -> nick

  /** A session asks for a nickname. */
  @Call() login(nick: string, session: Pid): LoginReply {
    if (typeof nick !== 'string' || !NICK.test(nick)) return { error: 'bad_nick' };
    if (this.sessions.has(nick)) {
      console.log(`refused nick ${nick} for ${session.node}: taken`);
      return { error: 'nick_taken' };
    }
    // The monitor is how the server learns that a client left, however it left:
    // /quit, Ctrl-C, a crash, a killed OS process or a lost network all end in a
    // DOWN message (reason `noconnection` when the client's node is gone).
    const ref = this.ctx.monitor(session);
    this.monitors.set(ref.key, nick);
    const others = [...this.sessions.values()];
    this.sessions.set(nick, session);
    console.log(`${nick} logged in from ${session.node}`);
    return { ok: others };
  }

  /** The session of `nick`, for a private message. */
  @Call() whereis(nick: string): Pid | null {
    return this.sessions.get(nick) ?? null;
  }

  /** The nick of a session. */
  @Call() nickOf(session: Pid): string | null {
    for (const [nick, pid] of this.sessions) if (pid.equals(session)) return nick;
    return null;
  }

  /** Who is online. */
  @Call() who(): string[] {
    return [...this.sessions.keys()].sort();
  }

  @Info('DOWN') down(msg: DownMessage): void {
    const nick = this.monitors.get(msg.ref.key);
    if (nick === undefined) return;
    this.monitors.delete(msg.ref.key);
    this.sessions.delete(nick);
    console.log(`${nick} left (${typeof msg.reason === 'string' ? msg.reason : 'crashed'})`);
  }
}

export async function main(node: Node): Promise<void> {
  await ChatServer.start(node, undefined, { name: SERVER });
  console.log(`chat server up on ${node.name}`);
}
