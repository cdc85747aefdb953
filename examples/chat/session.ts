/**
 * A client's session: the process that stands for one user. It logs in with the
 * server, turns typed lines into actions, and prints what reaches it.
 *
 * Rooms are pg groups (`#lobby`, `#lounge`...) in the scope `chat`, which every
 * client node runs. Joining a room is `pg.join`; saying something is a send to every
 * member of the group, wherever it runs; and the session monitors the groups it is
 * in (`pg.monitor`), so "ann joined" or "bob left" is printed when this node's view
 * of the room changes — also when bob's node dies: the scopes drop a lost node's
 * members by themselves.
 */
import { callServer, Cast, GenServer, Info, type DownMessage, type Pid, type Ref } from '@grove/core';
import * as pg from '@grove/pg';
import { LOBBY, NICK, ONLINE, ROOM, SCOPE, SERVER, type LoginReply, type PrivateMessage, type Say } from './protocol';

export const HELP = `commands:
  /join ROOM      join a room (and talk there)
  /leave          leave the room you talk in
  /rooms          the rooms you are in, and all rooms
  /who            who is online
  /pm NICK TEXT   a private message
  /quit           leave the chat (so does Ctrl-D)
  /help           this
anything else is said in the room you talk in`;

export interface SessionArgs {
  nick: string;
  server: string;
}

export class Session extends GenServer<{ cast: 'line' }> {
  private nick = '';
  private server: [string, string] = [SERVER, ''];
  /** The rooms joined, with their pg monitor; the room plain text goes to is the last. */
  private readonly rooms = new Map<string, Ref>();
  /** Nicks of sessions seen, by pid: a session that left can no longer be asked for. */
  private readonly nicks = new Map<string, string>();

  override async init({ nick, server }: SessionArgs) {
    this.nick = nick;
    this.server = [SERVER, server];
    const reply = (await this.ask('login', nick, this.self)) as LoginReply;
    if ('error' in reply) return this.stopWith({ shutdown: reply.error });
    this.ctx.monitor(this.server); // if the server goes, this session is no use
    // Into the lobby, then online: a node that sees us online sees us in the lobby too
    // (one scope's messages to another arrive in order).
    await pg.join(this.ctx, SCOPE, LOBBY, this.self);
    await pg.join(this.ctx, SCOPE, ONLINE, this.self);
    await this.waitToSee(reply.ok);
    await this.watch(LOBBY);
    return undefined;
  }

  /** A line typed by the user. */
  @Cast() line(text: string) {
    const [command = '', ...words] = text.trim().split(/\s+/);
    switch (command) {
      case '':
        return;
      case '/help':
        return print(HELP);
      case '/join':
        return this.join(words[0]?.startsWith('#') ? words[0] : `#${words[0] ?? ''}`);
      case '/leave':
        return this.leave();
      case '/rooms':
        return this.listRooms();
      case '/who':
        return this.ask('who').then((nicks) => print(`online: ${(nicks as string[]).join(', ')}`));
      case '/pm':
        return this.privateMessage(words[0] ?? '', words.slice(1).join(' '));
      case '/quit':
        return this.stopWith('normal');
      default:
        if (command.startsWith('/')) return print(`unknown command ${command}: try /help`);
        return this.say(text.trim());
    }
  }

  @Info('say') onSay({ room, from, text }: Say): void {
    print(`[${room}] <${from}> ${text}`);
  }

  @Info('pm') onPrivate({ from, text }: PrivateMessage): void {
    print(`[pm from ${from}] ${text}`);
  }

  /** A pg monitor event: members joined or left a room we are in. */
  @Info('pg') async onGroupEvent({ event, group, pids }: pg.GroupEvent): Promise<void> {
    for (const pid of pids) {
      if (pid.equals(this.self)) continue;
      print(`* ${await this.nickOf(pid)} ${event === 'join' ? 'joined' : 'left'} ${String(group)}`);
    }
  }

  @Info('DOWN') serverDown(_: DownMessage) {
    print('* the chat server went away');
    return this.stopWith({ shutdown: 'server_down' });
  }

  private async join(room: string): Promise<void> {
    if (!ROOM.test(room)) return print(`bad room name ${room}: letters, digits, _ and -`);
    const ref = this.rooms.get(room);
    if (ref !== undefined) {
      this.rooms.delete(room);
      this.rooms.set(room, ref); // now the last: plain text goes there
      return print(`you talk in ${room} now`);
    }
    await pg.join(this.ctx, SCOPE, room, this.self);
    const members = await this.watch(room);
    const names = await Promise.all(members.map((pid) => this.nickOf(pid)));
    print(`you joined ${room} (here: ${names.sort().join(', ')})`);
  }

  /**
   * Watches `room`: pg sends this process a join or leave event for every change
   * this node sees. Resolves with the members as this node sees them now.
   */
  private async watch(room: string): Promise<readonly Pid[]> {
    const { ref, members } = await pg.monitor(this.ctx, SCOPE, room);
    this.rooms.set(room, ref);
    await Promise.all(members.map((pid) => this.nickOf(pid))); // known by name when they leave
    return members;
  }

  private async leave(): Promise<void> {
    const room = [...this.rooms.keys()].at(-1);
    if (room === undefined) return print('you are in no room');
    await pg.demonitor(this.ctx, SCOPE, this.rooms.get(room)!);
    this.rooms.delete(room);
    await pg.leave(this.ctx, SCOPE, room, this.self);
    const now = [...this.rooms.keys()].at(-1);
    print(`you left ${room}${now === undefined ? '' : `; you talk in ${now} now`}`);
  }

  private listRooms(): void {
    // Reads of pg are local: this node's view of every group, no message sent.
    const all = pg.whichGroups(this.ctx, SCOPE).filter((g): g is string => typeof g === 'string' && ROOM.test(g));
    const counts = all.sort().map((room) => `${room} (${pg.getMembers(this.ctx, SCOPE, room).length})`);
    print(`your rooms: ${[...this.rooms.keys()].join(', ') || 'none'}; all rooms: ${counts.join(', ')}`);
  }

  private say(text: string): void {
    const room = [...this.rooms.keys()].at(-1);
    if (room === undefined) return print('you are in no room: /join one');
    // Straight to every member, this session included: it prints its own line when
    // it comes back, so everyone sees the room's lines in the same order.
    const msg: Say = { type: 'say', room, from: this.nick, text };
    for (const pid of pg.getMembers(this.ctx, SCOPE, room)) this.ctx.send(pid, msg);
  }

  private async privateMessage(nick: string, text: string): Promise<void> {
    if (!NICK.test(nick) || text === '') return print('usage: /pm NICK TEXT');
    const pid = (await this.ask('whereis', nick)) as Pid | null;
    if (pid === null) return print(`no such nick: ${nick}`);
    this.ctx.send(pid, { type: 'pm', from: this.nick, text } satisfies PrivateMessage);
    print(`[pm to ${nick}] ${text}`);
  }

  private async nickOf(pid: Pid): Promise<string> {
    if (pid.equals(this.self)) return this.nick;
    let nick = this.nicks.get(pid.key);
    if (nick === undefined) {
      nick = ((await this.ask('nickOf', pid).catch(() => null)) as string | null) ?? 'someone';
      this.nicks.set(pid.key, nick);
    }
    return nick;
  }

  /**
   * pg is eventually consistent: a new node sees the others' members once its scope
   * has synced with theirs. Wait (up to 3 s) until ours shows the sessions the server
   * says are online, so that our first lines reach them. (The others, in turn, print
   * "* ann joined #lobby" when their view has us.)
   */
  private async waitToSee(sessions: Pid[]): Promise<void> {
    for (let i = 0; i < 60; i++) {
      const online = pg.getMembers(this.ctx, SCOPE, ONLINE);
      if (sessions.every((s) => online.some((p) => p.equals(s)))) return;
      await new Promise((resolve) => setTimeout(resolve, 50)); // the session handles nothing else meanwhile
    }
  }

  /** A call to the server: `ask('who')`, `ask('whereis', nick)`. */
  private ask(...request: unknown[]): Promise<unknown> {
    return callServer(this.ctx, this.server, request.length === 1 ? request[0] : request);
  }
}

function print(text: string): void {
  console.log(text);
}
