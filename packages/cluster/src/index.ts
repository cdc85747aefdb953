/**
 * @grove/cluster — cluster formation, as Elixir's libcluster: a supervised process
 * that finds the nodes of a cluster (a static list, this host's port mapper, the port
 * mappers of listed hosts, DNS A/AAAA or SRV records) and connects to them, and
 * disconnects those that leave, polling as the source changes.
 *
 * @packageDocumentation
 */
export { ClusterFormation, type ClusterFormationOptions, type ClusterMembers } from './cluster';
export { staticNodes, localEpmd, epmdHosts, readHostsFile, parseHostsFile, type Strategy, type PortMapperOptions } from './strategy';
export { dnsA, dnsSrv, type DnsOptions } from './dns';
export { ClusterConfigError } from './errors';
