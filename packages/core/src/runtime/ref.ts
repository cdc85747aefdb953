/**
 * References (`make_ref()`): unique values used to tag monitors, calls and timers.
 *
 * A ref made on a node carries a numeric {@link Ref.key}, so the hot paths that key
 * maps by ref (calls, monitors) allocate no string; a ref that came from another
 * node keys by a string that includes its node.
 *
 * A ref made by an Erlang node carries up to five 32-bit words where a Grove ref has
 * one integer id: such a ref keeps them in {@link Ref.words} (see @grove/distribution's
 * term mapping) and is equal only to a ref with the same words.
 */
export class Ref {
  /** Node that made the ref. */
  readonly node: string;
  /** Incarnation of that node. */
  readonly creation: number;
  /** Per-node counter. */
  readonly id: number;
  /**
   * The reference words of a ref an Erlang node made, in wire order, when they do
   * not fit `id` (`id` is then -1); undefined for every ref a Grove node makes.
   */
  readonly words?: readonly number[];
  /** Map key: the id for a ref made here, `node/creation/id` for a foreign one. */
  readonly key: number | string;

  /** `local`: whether the ref was made by the node that holds this object (false for one decoded from another node). */
  constructor(node: string, creation: number, id: number, local: boolean, words?: readonly number[]) {
    this.node = node;
    // A tagged field, not a double one (see Pid's constructor).
    this.creation = undefined as never;
    this.creation = creation;
    this.id = id;
    this.words = words;
    this.key = words !== undefined ? `${node}/${creation}/${words.join('.')}` : local ? id : `${node}/${creation}/${id}`;
  }

  /** True when `other` is the same reference (possibly another copy of it). */
  equals(other: unknown): boolean {
    return (
      other === this ||
      (other instanceof Ref &&
        other.id === this.id &&
        other.creation === this.creation &&
        other.node === this.node &&
        (this.words === undefined ? other.words === undefined : other.words !== undefined && other.key === this.key))
    );
  }

  /** `#Ref<alice@host.42>` */
  toString(): string {
    return `#Ref<${this.node}.${this.words === undefined ? this.id : this.words.join('.')}>`;
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** True when `value` is a {@link Ref}. */
export function isRef(value: unknown): value is Ref {
  return value instanceof Ref;
}
