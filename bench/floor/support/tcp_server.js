'use strict';
// The forked server of the node-tcp floors. Listens on 127.0.0.1 port 0,
// sends { port } to its parent over IPC, exits when the parent disconnects.
// Per connection: counts T_MSG frames (the "sink"), hands T_CAST frames to a
// handler, answers T_COUNT and T_CALL with one write per incoming chunk.
const net = require('node:net');
const { T_MSG, T_CAST, T_COUNT, T_CALL, T_REPLY, frames, FrameReader } = require('./frames');

const handler = {
  handleCast(_frame, state) {
    state.casts++;
  },
};

function serve(socket) {
  socket.setNoDelay(true);
  const state = { msgs: 0, casts: 0 };
  let replies = [];
  const reader = new FrameReader((frame) => {
    if (frame.type === T_MSG) state.msgs++;
    else if (frame.type === T_CAST) handler.handleCast(frame, state);
    else if (frame.type === T_COUNT) replies.push(state.msgs + state.casts);
    else if (frame.type === T_CALL) replies.push(frame.seq);
  });
  socket.on('data', (chunk) => {
    reader.push(chunk);
    if (replies.length > 0) {
      socket.write(frames(T_REPLY, replies));
      replies = [];
    }
  });
  socket.on('error', () => socket.destroy());
}

const server = net.createServer(serve);
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
