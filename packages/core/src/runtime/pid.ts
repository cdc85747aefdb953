/**
 * Process identifiers.
 *
 * A pid names one process on one node incarnation: the node's name, a per-node
 * id, a serial (reserved, always 0 today) and the node's `creation`, a number that
 * changes every time a node with that name starts, so a pid from an earlier run of
 * the node never reaches a process of a later one (as in Erlang).
 */
/** Two hex digits for each byte. */
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push((i < 16 ? '0' : '') + i.toString(16));

/** `n` in hex: a 32-bit unsigned integer in eight digits (from a table, faster than `toString(16)`), anything else as `toString(16)` writes it. */
function hex(n: number): string {
  if (n >>> 0 !== n) return n.toString(16);
  return HEX2[n >>> 24]! + HEX2[(n >>> 16) & 255]! + HEX2[(n >>> 8) & 255]! + HEX2[n & 255]!;
}

/** The key prefix of the last pid keyed (see {@link Pid.key}). */
let prefixNode = '';
let prefixCreation = -1;
let prefix = '';

export class Pid {
  /** @internal cached {@link Pid.key}. */
  private _key: string | undefined = undefined;

  /** Name of the node the process lives on, e.g. `alice@127.0.0.1`. */
  readonly node: string;
  /** Per-node process number. */
  readonly id: number;
  /** Reserved; 0. */
  readonly serial: number;
  /** Incarnation of the node that created the process. */
  readonly creation: number;

  constructor(node: string, id: number, serial: number, creation: number) {
    this.node = node;
    this.id = id;
    this.serial = serial;
    // A creation is a 32-bit number, half of them past the small integers: V8 would make
    // a field whose first value is such a number a double field, with a 16-byte box in
    // every pid. Added as a tagged field first, it holds the node's one number object.
    this.creation = undefined as never;
    this.creation = creation;
  }

  /**
   * A stable string that is equal for equal pids: use it as a map key
   * (`node/creation/id.serial`, id and serial in hexadecimal, the id in eight digits
   * or more).
   */
  get key(): string {
    if (this._key !== undefined) return this._key;
    // `node/creation/` is the same for most pids made in a row (a node's own): built once.
    if (this.node !== prefixNode || this.creation !== prefixCreation) {
      prefixNode = this.node;
      prefixCreation = this.creation;
      prefix = `${this.node}/${this.creation}/`;
    }
    // Not in decimal: V8 caches the decimal text of every number it converts, so each
    // new pid's id would stay reachable from that cache, survive young-generation
    // collections and be promoted (about 60 bytes copied per spawn).
    return (this._key = `${prefix}${hex(this.id)}.${this.serial === 0 ? '0' : this.serial.toString(16)}`);
  }

  /** True when `other` names the same process. */
  equals(other: unknown): boolean {
    return (
      other === this ||
      (other instanceof Pid &&
        other.id === this.id &&
        other.serial === this.serial &&
        other.creation === this.creation &&
        other.node === this.node)
    );
  }

  /** `#PID<alice@host.12.0>` */
  toString(): string {
    return `#PID<${this.node}.${this.id}.${this.serial}>`;
  }

  /** @internal pretty form for `console.log`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** True when `value` is a {@link Pid}. */
export function isPid(value: unknown): value is Pid {
  return value instanceof Pid;
}
