/**
 * @grove/observer — see a running Grove cluster: a node's figures in Prometheus'
 * text format (`startMetrics`), and a live web page of the cluster (`start`, which
 * `grove observer` runs). Both read what every distributed node's introspection
 * service (`grove_introspect`) serves: nothing is installed on the nodes observed.
 *
 * @packageDocumentation
 */
export { startMetrics, metricsText, METRICS_CONTENT_TYPE, type MetricsOptions, type MetricsServer } from './metrics';
export { start, type ObserverOptions, type Observer } from './observer';
export { ObserverOptionsError } from './errors';
export type { Rates, HistoryPoint, WatchedNode, DownEntry } from './cluster_watch';
