'use strict';
// Grove thread_send: remote_send's workload, against a node in a worker thread of this
// OS process (a shared-memory link) instead of another OS process over loopback TCP.
const { measure } = require('./remote_send');
const { withThreadPeer } = require('./thread_support');

module.exports = { run: measure(withThreadPeer) };
