/**
 * Erlang distribution capability flags (`DFLAG_*`, erts `dist.h`), the set a Grove
 * node advertises to a BEAM node, and the set it requires of one. Flags are 64 bits
 * wide; they are bigints here (only the handshake reads them). Exported on
 * `@grove/distribution/internal` only.
 */

export const DFLAG = {
  PUBLISHED: 0x1n,
  EXTENDED_REFERENCES: 0x4n,
  DIST_MONITOR: 0x8n,
  FUN_TAGS: 0x10n,
  DIST_MONITOR_NAME: 0x20n,
  NEW_FUN_TAGS: 0x80n,
  EXTENDED_PIDS_PORTS: 0x100n,
  EXPORT_PTR_TAG: 0x200n,
  BIT_BINARIES: 0x400n,
  NEW_FLOATS: 0x800n,
  UNICODE_IO: 0x1000n,
  DIST_HDR_ATOM_CACHE: 0x2000n,
  SMALL_ATOM_TAGS: 0x4000n,
  UTF8_ATOMS: 0x10000n,
  MAP_TAG: 0x20000n,
  BIG_CREATION: 0x40000n,
  SEND_SENDER: 0x80000n,
  BIG_SEQTRACE_LABELS: 0x100000n,
  EXIT_PAYLOAD: 0x400000n,
  FRAGMENTS: 0x800000n,
  HANDSHAKE_23: 0x1000000n,
  UNLINK_ID: 0x2000000n,
  /** "Everything mandatory in OTP 25": 16#4000000 in OTP 25's `dist.hrl` (the docs' `1 bsl 36` is wrong). */
  MANDATORY_25_DIGEST: 0x4000000n,
  SPAWN: 1n << 32n,
  NAME_ME: 1n << 33n,
  V4_NC: 1n << 34n,
  ALIAS: 1n << 35n,
} as const;

/** What OTP 25 refuses to connect without (and what this node needs of a peer). */
export const MANDATORY_FLAGS =
  DFLAG.EXTENDED_REFERENCES |
  DFLAG.FUN_TAGS |
  DFLAG.NEW_FUN_TAGS |
  DFLAG.EXTENDED_PIDS_PORTS |
  DFLAG.EXPORT_PTR_TAG |
  DFLAG.BIT_BINARIES |
  DFLAG.NEW_FLOATS |
  DFLAG.UTF8_ATOMS |
  DFLAG.MAP_TAG |
  DFLAG.BIG_CREATION |
  DFLAG.HANDSHAKE_23;

/**
 * What a Grove node advertises: the mandatory set, monitors (by pid and name),
 * SEND_SENDER, EXIT_PAYLOAD, UNLINK_ID, V4_NC, SPAWN (to be the target of `rpc:call`),
 * and the OTP 25 digest bit. Never the atom cache nor fragments (Grove sends only
 * pass-through `'p'` frames). ALIAS is not set: replies to `[alias|Ref]` tags go to
 * the caller's pid, which works without it. PUBLISHED is added for a visible node.
 */
export const GROVE_FLAGS =
  MANDATORY_FLAGS |
  DFLAG.DIST_MONITOR |
  DFLAG.DIST_MONITOR_NAME |
  DFLAG.UNICODE_IO |
  DFLAG.SMALL_ATOM_TAGS |
  DFLAG.SEND_SENDER |
  DFLAG.EXIT_PAYLOAD |
  DFLAG.UNLINK_ID |
  DFLAG.MANDATORY_25_DIGEST |
  DFLAG.V4_NC |
  DFLAG.SPAWN;

/** The flags a node sends: {@link GROVE_FLAGS}, published unless hidden. */
export function ownFlags(hidden: boolean): bigint {
  return hidden ? GROVE_FLAGS : GROVE_FLAGS | DFLAG.PUBLISHED;
}

/** Names of the mandatory flags missing from `flags` (empty when none). */
export function missingMandatory(flags: bigint): string[] {
  if ((flags & DFLAG.MANDATORY_25_DIGEST) !== 0n) return [];
  const out: string[] = [];
  for (const [name, bit] of Object.entries(DFLAG)) {
    if ((MANDATORY_FLAGS & bit) !== 0n && (flags & bit) === 0n) out.push(name);
  }
  return out;
}
