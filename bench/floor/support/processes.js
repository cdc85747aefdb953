'use strict';
// Process shapes shared by the local floors.
const { Mailbox } = require('./mailbox');

// Sends between yields of a producer, like a reduction budget: keeps the
// queue bounded without paying a promise per message.
const SLICE = 1024;

// An idle process: an async function suspended in receive().
async function idle(mailbox) {
  await mailbox.receive();
}

// gen_server-shaped loop: await one message, then handle everything queued
// synchronously ("sync drain"). Calls carry their resolver as the reply-to.
async function server(mailbox, callbacks, state) {
  for (;;) {
    let msg = await mailbox.receive();
    do {
      if (msg.tag === 'call') msg.reply(callbacks.handleCall(msg.req, state));
      else if (msg.tag === 'cast') callbacks.handleCast(msg.req, state);
      else if (msg.tag === 'stop') return state;
    } while ((msg = mailbox.take()) !== undefined);
  }
}

const counter = {
  handleCall: (req, state) => (req === 'count' ? state.count : 'pong'),
  handleCast: (_req, state) => {
    state.count++;
  },
};

function startCounter() {
  const mailbox = new Mailbox();
  server(mailbox, counter, { count: 0 });
  return mailbox;
}

function call(mailbox, req) {
  return new Promise((reply) => mailbox.send({ tag: 'call', req, reply }));
}

module.exports = { SLICE, idle, server, counter, startCounter, call };
