/** What both stores share with React: listeners, a snapshot rebuilt only after a change
 * (as `useSyncExternalStore` needs), and a hook that keeps one store alive while enabled. */

import { useEffect, useMemo, useSyncExternalStore } from 'react';

export abstract class SnapshotStore<Snapshot> {
  private readonly listeners = new Set<() => void>();
  private snapshot: Snapshot | null = null;

  abstract start(): void;
  abstract stop(): void;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): Snapshot => {
    this.snapshot ??= this.build();
    return this.snapshot;
  };

  protected abstract build(): Snapshot;

  protected changed(): void {
    this.snapshot = null;
    for (const listener of [...this.listeners]) listener();
  }
}

const unsubscribed = () => () => undefined;

/** A store made by `make` while `enabled` (a new one when `make` changes), started while it
 * is in use, with its current snapshot; `idle` stands in while there is none. Making a store
 * has no effects: it opens its socket only in `start()`, which may follow a `stop()` (as
 * React's strict mode does to every effect). */
export function useStore<Snapshot, Store extends SnapshotStore<Snapshot>>(
  enabled: boolean,
  make: () => Store,
  idle: Snapshot,
): [Store | null, Snapshot] {
  const store = useMemo(() => (enabled ? make() : null), [enabled, make]);
  useEffect(() => {
    if (!store) return undefined;
    store.start();
    return () => store.stop();
  }, [store]);
  const snapshot = useSyncExternalStore(store?.subscribe ?? unsubscribed, store ? store.getSnapshot : () => idle);
  return [store, snapshot];
}
