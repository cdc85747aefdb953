/**
 * The errors @grove/observer raises.
 */
import { GroveError } from '@grove/core';

/** An option of `start` or `startMetrics` that cannot work (a non-loopback address without a token, say). */
export class ObserverOptionsError extends GroveError {
  readonly code = 'observer_options' as const;
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`observer: ${option}: ${detail}`);
  }
}
