'use strict';
// Floor for remote_send: N 32-byte T_MSG frames to a counting sink in a
// forked process over loopback TCP, batched 64 KiB per write, then one count
// request. No term encoding: the frames carry no real payload.
const { oneway } = require('./support/oneway');
const { T_MSG } = require('./support/frames');

module.exports = { run: ({ n }) => oneway(n, T_MSG) };
