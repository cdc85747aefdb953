'use strict';
// Floor for remote_cast: like remote_send, but each frame is dispatched to a
// handleCast callback on the server; then one count request.
const { oneway } = require('./support/oneway');
const { T_CAST } = require('./support/frames');

module.exports = { run: ({ n }) => oneway(n, T_CAST) };
