/**
 * The node's process table: live local processes by pid id.
 *
 * Pid ids are handed out in increasing order and never reused, so the table is a
 * list of pages of {@link PAGE} slots, one page per range of ids: a lookup is two
 * array reads, an entry costs one pointer (a `Map` entry costs about four, plus the
 * rehash of a growing map). As processes die their pages empty out; a full page that
 * falls under one eighth live moves its survivors to a `Map` (the spill) and is
 * dropped, so that long-lived processes scattered among short-lived ones cost at most
 * eight slots each, and never pin mostly empty pages. Pages dropped from the front
 * are trimmed from the list. Ids past 2^32 (billions of spawns) go to the spill too.
 */
import type { Process } from './process';

const PAGE_BITS = 10;
/** Slots per page. */
const PAGE = 1 << PAGE_BITS;
const SLOT_MASK = PAGE - 1;
/** A full page with fewer live processes than this spills them and is dropped. */
const SPARSE = PAGE >> 3;
/** The largest id a page holds (`>>>` works on 32 bits). */
const MAX_PAGED_ID = 0xffffffff;

class Page {
  /** Filled by appends in id order (a gap is filled with undefined), so the array stays packed. */
  readonly slots: (Process | undefined)[] = [];
  live = 0;
}

/** @internal */
export class ProcessTable {
  /** `pages[i]` holds the ids of page number `first + i`; undefined once dropped. */
  private pages: (Page | undefined)[] = [];
  private first = 0;
  private spill: Map<number, Process> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The process with pid id `id`, if it is in the table. */
  get(id: number): Process | undefined {
    // Never a negative index (k < 0: a page dropped from the front): that is a slow property lookup.
    const k = (id >>> PAGE_BITS) - this.first;
    if (k >= 0 && k < this.pages.length) {
      const page = this.pages[k];
      if (page !== undefined) {
        const p = page.slots[id & SLOT_MASK];
        // Another id on the same slot: one past 2^32 (kept in the spill), a fraction, or none.
        if (p !== undefined && p.pid.id === id) return p;
      }
    }
    return this.spill === null ? undefined : this.spill.get(id);
  }

  /** Adds `p` under its pid's id: an id higher than any added before. */
  add(p: Process): void {
    const id = p.pid.id;
    this.count++;
    const n = id >>> PAGE_BITS;
    if (id > MAX_PAGED_ID || n < this.first) {
      (this.spill ??= new Map()).set(id, p);
      return;
    }
    if (this.pages.length === 0) this.first = n;
    const pages = this.pages;
    while (this.first + pages.length <= n) {
      // The last page is complete now: drop it if most of it already died.
      const k = pages.length - 1;
      if (k >= 0 && pages[k] !== undefined && pages[k]!.live < SPARSE) this.dropPage(k);
      pages.push(new Page());
    }
    const page = pages[n - this.first]!;
    const slots = page.slots;
    const i = id & SLOT_MASK;
    while (slots.length < i) slots.push(undefined);
    slots[i] = p;
    page.live++;
  }

  /** Removes the process with pid id `id`; false when it was not in the table. */
  delete(id: number): boolean {
    const k = (id >>> PAGE_BITS) - this.first;
    if (id <= MAX_PAGED_ID && k >= 0) {
      const page = this.pages[k];
      if (page !== undefined) {
        const i = id & SLOT_MASK;
        const p = page.slots[i];
        if (p === undefined || p.pid.id !== id) return false;
        page.slots[i] = undefined;
        this.count--;
        page.live--;
        // Only a complete page (a later one exists) is dropped: the last one still fills.
        if (page.live < SPARSE && k < this.pages.length - 1) this.dropPage(k);
        return true;
      }
    }
    if (this.spill === null || !this.spill.delete(id)) return false;
    this.count--;
    return true;
  }

  /** Every process, in pid id order. */
  values(): Process[] {
    const out: Process[] = [];
    for (const page of this.pages) {
      if (page === undefined) continue;
      for (const p of page.slots) if (p !== undefined) out.push(p);
    }
    if (this.spill !== null && this.spill.size > 0) {
      for (const p of this.spill.values()) out.push(p);
      out.sort((a, b) => a.pid.id - b.pid.id);
    }
    return out;
  }

  private dropPage(k: number): void {
    const page = this.pages[k]!;
    if (page.live > 0) {
      const spill = (this.spill ??= new Map());
      for (const p of page.slots) if (p !== undefined) spill.set(p.pid.id, p);
    }
    this.pages[k] = undefined;
    while (this.pages.length > 0 && this.pages[0] === undefined) {
      this.pages.shift();
      this.first++;
    }
  }
}
