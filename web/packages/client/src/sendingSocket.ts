/** What both sockets do with their sends: keep each in the outbox under its `clientMsgId`,
 * send what the line allows, take it out on the author's own echo, try again after a
 * passing refusal (a rate limit, a service away), and report the others as failed. */

import type { ErrorCode } from './generated/errors.js';
import { newClientMsgId } from './ids.js';
import { type FailedSend, Outbox, type PendingSend, isPassing } from './outbox.js';
import { ReconnectingSocket, type SocketEvents } from './reconnecting.js';
import type { Emitter } from './emitter.js';

export interface SendingEvents<Frame, Echo> extends SocketEvents {
  /** The outbox changed: a send was queued, sent, acknowledged or failed. */
  outbox: PendingSend<Frame>[];
  /** A send the server acknowledged: its stored message. */
  ack: Echo;
  /** A send the server refused for good (not a passing refusal such as a rate limit). */
  failed: FailedSend;
}

export interface Refusal {
  code: ErrorCode;
  message: string;
  clientMsgId?: string | null;
  retryAfterMs?: number | null;
}

const UNAVAILABLE_RETRY_MS = 1000;

export abstract class SendingSocket<Events extends SendingEvents<Frame, Echo>, Frame, Echo> extends ReconnectingSocket<Events> {
  /** The user the server greeted this socket as. */
  userId: number | null = null;
  username: string | null = null;
  private readonly outbox = new Outbox<Frame>();

  /** Sends not yet acknowledged, oldest first; those for one channel or recipient if given. */
  pending(target?: number): PendingSend<Frame>[] {
    return this.outbox.list().filter((item) => target === undefined || item.target === target);
  }

  /** Whether sends for `target` may go on the line now (a channel must be joined first). */
  protected abstract canSend(target: number): boolean;

  /** Queues a send under a new `clientMsgId` and sends it when it may go; returns the id. */
  protected queue(target: number, content: string, frameOf: (clientMsgId: string) => Frame): string {
    const clientMsgId = newClientMsgId();
    this.outbox.add({ clientMsgId, target, content, frame: frameOf(clientMsgId) });
    this.flush(target);
    this.emitOutbox();
    return clientMsgId;
  }

  /** Sends what waits (for `target` only, if given) as far as the line allows. */
  protected flush(target?: number): void {
    let changed = false;
    for (const item of this.outbox.queued(target)) {
      if (!this.canSend(item.target) || !this.sendFrame(item.frame as object)) continue;
      item.state = 'sent';
      item.attempts += 1;
      changed = true;
    }
    if (changed) this.emitOutbox();
  }

  /** A stored message came back: the author's own with a `clientMsgId` acknowledges that send. */
  protected acknowledge(clientMsgId: string | null | undefined, authorId: number, echo: Echo): void {
    if (!clientMsgId || authorId !== this.userId || !this.outbox.remove(clientMsgId)) return;
    this.events().emit('ack', echo);
    this.emitOutbox();
  }

  /** An error frame: true when it answered one of the outbox's sends. */
  protected refused(error: Refusal): boolean {
    const id = error.clientMsgId;
    const item = id ? this.outbox.get(id) : undefined;
    if (!item || !id) return false;
    if (isPassing(error.code)) {
      item.state = 'queued';
      this.schedule(() => this.flush(item.target), error.retryAfterMs ?? UNAVAILABLE_RETRY_MS);
      return true;
    }
    this.outbox.remove(id);
    this.events().emit('failed', { clientMsgId: id, target: item.target, content: item.content, code: error.code, message: error.message });
    this.emitOutbox();
    return true;
  }

  /** The line went down: whatever was sent on it goes again on the next. */
  protected onDown(): void {
    this.outbox.requeueAll();
    this.emitOutbox();
  }

  private emitOutbox(): void {
    this.events().emit('outbox', this.outbox.list());
  }

  private events(): Emitter<SendingEvents<Frame, Echo>> {
    return this as unknown as Emitter<SendingEvents<Frame, Echo>>;
  }
}
