'use strict';
// The `main` module of the worker-thread peer (thread_support.js): serves what
// remote_peer.js serves, in the worker's node.
const { serveBench } = require('./support');

exports.start = (node) => serveBench(node);
