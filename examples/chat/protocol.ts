/**
 * What the chat's processes say to each other. Every message is a plain object with
 * a `type`: such terms cross the wire as they are, and a GenServer's `@Info('say')`
 * routes them by that field.
 */
import type { Pid } from '@grove/core';

/** The pg scope the rooms live in: every client node starts it. */
export const SCOPE = 'chat';
/** A group every logged-in session joins: who is online, as this node's pg sees it. */
export const ONLINE = 'online';
/** Where a new session starts. */
export const LOBBY = '#lobby';
/** The server's registered name on its node (not `chat`: that is the scope's name). */
export const SERVER = 'chat_server';

/** A line in a room, sent by the speaker's session straight to every member of the room's group. */
export interface Say {
  type: 'say';
  room: string;
  from: string;
  text: string;
}

/** A private message, sent straight to the recipient's session. */
export interface PrivateMessage {
  type: 'pm';
  from: string;
  text: string;
}

/** The server's answer to `login`: the sessions already online, or why not. */
export type LoginReply = { ok: Pid[] } | { error: 'nick_taken' | 'bad_nick' };

/** Nicknames: 1 to 16 letters, digits, `_` or `-`. */
export const NICK = /^[A-Za-z0-9_-]{1,16}$/;
/** Room names: the same, after a `#`. */
export const ROOM = /^#[A-Za-z0-9_-]{1,24}$/;
