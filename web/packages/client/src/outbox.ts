/** Sends not yet acknowledged: each keeps its `clientMsgId` until the server's echo of it
 * (the author's own `new_message` / `message_received`) arrives, and is sent again, under
 * the same id, after every reconnect. The server stores a repeated id once. */

import type { ErrorCode } from './generated/errors.js';

export type PendingState = 'queued' | 'sent';

export interface PendingSend<Frame> {
  clientMsgId: string;
  /** The channel id or the recipient id the send is for. */
  target: number;
  content: string;
  frame: Frame;
  createdAt: number;
  /** `queued`: waits for the line (or the channel's join); `sent`: on this line, unanswered. */
  state: PendingState;
  attempts: number;
}

export interface FailedSend {
  clientMsgId: string;
  target: number;
  content: string;
  code: ErrorCode;
  message: string;
}

/** Refusals that go away by themselves: the send is tried again instead of failing. */
const PASSING: ReadonlySet<string> = new Set(['rate_limited', 'unavailable']);

export function isPassing(code: string): boolean {
  return PASSING.has(code);
}

export class Outbox<Frame> {
  private readonly items = new Map<string, PendingSend<Frame>>();

  add(item: Omit<PendingSend<Frame>, 'state' | 'attempts' | 'createdAt'>): PendingSend<Frame> {
    const pending: PendingSend<Frame> = { ...item, state: 'queued', attempts: 0, createdAt: Date.now() };
    this.items.set(item.clientMsgId, pending);
    return pending;
  }

  get(clientMsgId: string): PendingSend<Frame> | undefined {
    return this.items.get(clientMsgId);
  }

  /** Takes the send out: it was acknowledged, or refused for good. */
  remove(clientMsgId: string): PendingSend<Frame> | undefined {
    const item = this.items.get(clientMsgId);
    this.items.delete(clientMsgId);
    return item;
  }

  /** Sends waiting for the line, oldest first; those for `target` only, if given. */
  queued(target?: number): PendingSend<Frame>[] {
    return this.list().filter((item) => item.state === 'queued' && (target === undefined || item.target === target));
  }

  /** The line went down: whatever was sent on it goes again on the next. */
  requeueAll(): void {
    for (const item of this.items.values()) item.state = 'queued';
  }

  list(): PendingSend<Frame>[] {
    return [...this.items.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  get size(): number {
    return this.items.size;
  }
}
