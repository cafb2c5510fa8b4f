/** Reconnect delays: capped exponential backoff with full jitter (a random delay between
 * zero and the capped exponential), so clients dropped together do not return together. */

export interface BackoffOptions {
  /** The cap of the first retry's delay. */
  baseMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
  /** A number in [0, 1); tests pass their own. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 10_000 };

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  const random = options.random ?? Math.random;
  return Math.floor(random() * ceiling);
}
