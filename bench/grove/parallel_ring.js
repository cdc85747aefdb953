'use strict';
// Grove parallel_ring: N token hops split over one ring of 1,000 processes per core (see parallel_support.js).
module.exports = require('./parallel_support').parallelWorkload('ring');
