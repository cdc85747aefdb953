'use strict';
// Client side of the node-tcp floors: fork the server, connect to it, and
// wait for replies.
const net = require('node:net');
const path = require('node:path');
const { fork } = require('node:child_process');
const { T_REPLY, FrameReader } = require('./frames');

function startServer() {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'tcp_server.js'), [], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`tcp server exited with code ${code}`)));
    child.once('message', ({ port }) => resolve({ port, stop: () => child.kill() }));
  });
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

// Calls onReply(seq) for every reply frame arriving on socket; returns a
// function that stops listening.
function onReplies(socket, onReply) {
  const reader = new FrameReader((frame) => {
    if (frame.type !== T_REPLY) throw new Error(`unexpected frame type ${frame.type}`);
    onReply(frame.seq);
  });
  const onData = (chunk) => reader.push(chunk);
  socket.on('data', onData);
  return () => socket.off('data', onData);
}

module.exports = { startServer, connect, onReplies };
