'use strict';
// Floor for statem_call: the same N sequential "mailbox calls" as the call floor.
// In plain JS a one-state machine is the same loop as a server (a state field and a
// switch cost nothing measurable), so the floor is call's.
module.exports = require('./call');
