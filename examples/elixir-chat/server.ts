/**
 * The chat room, on a Grove node, for clients in Elixir (client.exs) and in Grove
 * (client.ts): the chat of Elixir's distribution tutorials, with its server in
 * TypeScript. It speaks plain Erlang terms, so an Elixir client uses it with
 * `GenServer.call({:chat, :"chat@127.0.0.1"}, {:join, "alice"})`:
 *
 * - call `{join, Nick}`: `{ok, OtherNicks}`, or `{error, nick_taken}`; the caller is a
 *   member until it leaves or goes (the room monitors it), and hears
 *   `{message, Nick, Text}`, `{joined, Nick}` and `{left, Nick}`;
 * - cast `{say, Nick, Text}`: `{message, Nick, Text}` to every member.
 *
 *   npx grove run --name chat@127.0.0.1 --cookie elixir-chat examples/elixir-chat/dist/server.js
 */
import { GenServer, isDownMessage, type From, type Node, type Pid } from '@grove/core';
import { atom, isTuple, tuple } from '@grove/distribution';

export class ChatRoom extends GenServer {
  private readonly members = new Map<string, Pid>(); // nick -> client process
  private readonly monitors = new Map<number | string, string>(); // monitor ref -> nick

  override handleCall(req: unknown, from: From): unknown {
    if (!isTuple(req, 'join') || req.length !== 2 || typeof req.elements[1] !== 'string') return tuple(atom('error'), atom('bad_request'));
    const nick = req.elements[1];
    if (this.members.has(nick)) return tuple(atom('error'), atom('nick_taken'));
    const others = [...this.members.keys()];
    this.broadcast(tuple(atom('joined'), nick));
    this.members.set(nick, from.pid);
    this.monitors.set(this.ctx.monitor(from.pid).key, nick);
    console.log(`${nick} joined from ${from.pid.node}`);
    return tuple(atom('ok'), others);
  }

  override handleCast(req: unknown): void {
    if (!isTuple(req, 'say') || req.length !== 3) return;
    const [, nick, text] = req.elements;
    if (typeof nick !== 'string' || typeof text !== 'string' || !this.members.has(nick)) return;
    this.broadcast(tuple(atom('message'), nick, text));
  }

  override handleInfo(msg: unknown): void {
    if (!isDownMessage(msg)) return;
    const nick = this.monitors.get(msg.ref.key);
    if (nick === undefined) return;
    this.monitors.delete(msg.ref.key);
    this.members.delete(nick);
    console.log(`${nick} left`);
    this.broadcast(tuple(atom('left'), nick));
  }

  private broadcast(msg: unknown): void {
    for (const pid of this.members.values()) this.ctx.send(pid, msg);
  }
}

export async function main(node: Node): Promise<void> {
  await ChatRoom.start(node, undefined, { name: 'chat' });
  console.log(`chat room up on ${node.name}`);
}
