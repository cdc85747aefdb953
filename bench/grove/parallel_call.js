'use strict';
// Grove parallel_call: N GenServer calls split over the cores (see parallel_support.js).
module.exports = require('./parallel_support').parallelWorkload('call');
