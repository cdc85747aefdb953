/** Errors of @grove/cluster. */
import { GroveError } from '@grove/core';

/** A strategy or cluster option that cannot work: a bad name, host, file or DNS setting. */
export class ClusterConfigError extends GroveError {
  readonly code = 'cluster_config' as const;
}
