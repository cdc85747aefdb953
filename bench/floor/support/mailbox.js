'use strict';
// The minimal async mailbox of the anchors' Node floors: a power-of-two ring
// buffer plus at most one pending receiver. A process is an async function
// awaiting receive(). The buffer is allocated on the first queued message, so
// an idle process costs no buffer. Copies nothing, isolates nothing.

const FIRST_CAPACITY = 8;

class Mailbox {
  constructor() {
    this.buf = null;
    this.head = 0;
    this.size = 0;
    this.waiter = null;
  }

  send(msg) {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter(msg);
      return;
    }
    if (this.buf === null || this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = msg;
    this.size++;
  }

  // Next queued message, synchronously; undefined when empty.
  take() {
    if (this.size === 0) return undefined;
    const i = this.head;
    const msg = this.buf[i];
    this.buf[i] = undefined;
    this.head = (i + 1) & (this.buf.length - 1);
    this.size--;
    return msg;
  }

  receive() {
    if (this.size > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  grow() {
    const old = this.buf;
    const cap = old === null ? FIRST_CAPACITY : old.length * 2;
    const buf = new Array(cap);
    for (let k = 0; k < this.size; k++) buf[k] = old[(this.head + k) & (old.length - 1)];
    this.buf = buf;
    this.head = 0;
  }
}

module.exports = { Mailbox };
