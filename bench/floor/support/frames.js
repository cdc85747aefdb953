'use strict';
// 32-byte binary frames of the node-tcp floor: [u32 length][u8 type][u32 seq]
// [padding]. The reader decodes each frame into a small object { type, seq }.

const FRAME_BYTES = 32;
const T_MSG = 1; // one-way message to the counting sink
const T_CAST = 2; // one-way cast to the server's handler
const T_COUNT = 3; // request: reply with the number of messages/casts seen
const T_CALL = 4; // request: reply with the same seq
const T_REPLY = 5;

function writeFrame(buf, offset, type, seq) {
  buf.writeUInt32BE(FRAME_BYTES - 4, offset);
  buf[offset + 4] = type;
  buf.writeUInt32BE(seq >>> 0, offset + 5);
}

function frames(type, seqs) {
  const buf = Buffer.alloc(seqs.length * FRAME_BYTES);
  for (let i = 0; i < seqs.length; i++) writeFrame(buf, i * FRAME_BYTES, type, seqs[i]);
  return buf;
}

// Feeds stream chunks, calls onFrame({ type, seq }) per complete frame.
class FrameReader {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.rest = null;
  }

  push(chunk) {
    let buf = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    let off = 0;
    while (buf.length - off >= 4) {
      const end = off + 4 + buf.readUInt32BE(off);
      if (end > buf.length) break;
      this.onFrame({ type: buf[off + 4], seq: buf.readUInt32BE(off + 5) });
      off = end;
    }
    this.rest = off === buf.length ? null : buf.subarray(off);
    buf = null;
  }
}

module.exports = { FRAME_BYTES, T_MSG, T_CAST, T_COUNT, T_CALL, T_REPLY, writeFrame, frames, FrameReader };
