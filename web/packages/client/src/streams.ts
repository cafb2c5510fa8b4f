/** What a client remembers of each stream it follows (a channel, a conversation): the last
 * `seq` it saw, to resume from it and to drop what it has seen already, and the stream's
 * `epoch` when the server names one (another epoch means the stream began anew: reload). */

export interface StreamPosition {
  lastSeq: number | undefined;
  epoch: unknown;
  /** Contiguous mode: seqs seen past a gap after `lastSeq`, held until the gap fills. */
  ahead: Set<number>;
}

export class StreamPositions<Key> {
  private readonly positions = new Map<Key, StreamPosition>();

  /** `contiguous`: the client sees every seq of the stream, though maybe out of order (a
   * DM socket gets live events before its resume's replay), so `lastSeq` only moves past
   * seqs with nothing missing before them, and later ones are remembered apart. Otherwise
   * (channels, whose edge delivers in order but not every event type) `lastSeq` is the
   * highest seq seen. */
  constructor(private readonly contiguous = false) {}

  follow(key: Key, lastSeq?: number): void {
    const known = this.positions.get(key);
    if (!known) this.positions.set(key, { lastSeq, epoch: undefined, ahead: new Set() });
    else if (lastSeq !== undefined && (known.lastSeq === undefined || lastSeq > known.lastSeq)) known.lastSeq = lastSeq;
  }

  forget(key: Key): void {
    this.positions.delete(key);
  }

  has(key: Key): boolean {
    return this.positions.has(key);
  }

  lastSeq(key: Key): number | undefined {
    return this.positions.get(key)?.lastSeq;
  }

  keys(): Key[] {
    return [...this.positions.keys()];
  }

  /** An event at `seq`: true when it is new (and it is remembered), false for a repeat. */
  advance(key: Key, seq: number): boolean {
    const known = this.positions.get(key);
    if (!known) return true;
    if (known.lastSeq === undefined) {
      known.lastSeq = seq;
      return true;
    }
    if (seq <= known.lastSeq || known.ahead.has(seq)) return false;
    if (!this.contiguous || seq === known.lastSeq + 1) {
      known.lastSeq = seq;
      while (known.ahead.delete(known.lastSeq + 1)) known.lastSeq += 1;
    } else {
      known.ahead.add(seq);
    }
    return true;
  }

  /** The server confirmed the stream (`joined_channel`, `subscribed`) at head `head`.
   * Returns true when its epoch differs from the one seen before: the stream began anew,
   * so what the client holds of it is void and the position restarts at `head`. */
  confirm(key: Key, head: number, epoch: unknown): boolean {
    const known = this.positions.get(key);
    if (!known) return false;
    const changed = epoch !== undefined && known.epoch !== undefined && epoch !== known.epoch;
    if (epoch !== undefined) known.epoch = epoch;
    if (changed) {
      known.lastSeq = head;
      known.ahead.clear();
      return true;
    }
    // Joined without a position: live events start at the head.
    if (known.lastSeq === undefined) known.lastSeq = head;
    return false;
  }

  /** The server said to start over (`reload`): the next resume starts from nothing. */
  reset(key: Key): void {
    const known = this.positions.get(key);
    if (known) {
      known.lastSeq = undefined;
      known.epoch = undefined;
      known.ahead.clear();
    }
  }
}
