/**
 * @grove/testing — testing Grove apps: a cluster harness (nodes in this OS process
 * or in child OS processes, with cleanup), a fault-injecting relay between two
 * nodes, a virtual clock, probes and jest matchers.
 *
 * @packageDocumentation
 */
export { Cluster, useCluster, type ClusterOptions, type RelayedPair } from './cluster';
export { ChildNode, childEnv, stopChildren, DEFAULT_CHILD_TIMEOUT_MS, type ChildNodeOptions } from './child_node';
export { serveChild, childNodeOptions, type ChildCommand } from './child';
export { Relay, seededRandom, type RelayEnd, type RelayOptions } from './relay';
export { VirtualClock } from './virtual_clock';
export { Probe, type MessagePattern } from './probe';
export { RestartWatch } from './restart_watch';
export { groveMatchers, type WaitOptions, type MatcherResult, type MatcherContext } from './matchers';
export { trackNode } from './nodes';
export { waitFor, nextTurn, WaitTimeoutError } from './wait';
export { openIdleSockets } from './sockets';
