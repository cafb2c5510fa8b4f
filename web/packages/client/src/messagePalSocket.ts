/** `/messagepal`: direct messages. Every socket of a user receives all of that user's DM
 * events; conversations subscribed to, or seen, are resumed after a reconnect from the last
 * `seq` seen, repeats are dropped, and sends wait in an outbox until their echo comes back. */

import type * as Client from './generated/messagePalClientFrame.js';
import type * as Server from './generated/messagePalServerFrame.js';
import { newClientMsgId } from './ids.js';
import { type FailedSend, Outbox, type PendingSend, isPassing } from './outbox.js';
import { ReconnectingSocket, type SocketEvents, type SocketOptions } from './reconnecting.js';
import { StreamPositions } from './streams.js';

export type DirectPending = PendingSend<Client.SendMessage>;

export interface MessagePalSocketEvents extends SocketEvents {
  /** Every server frame, once: repeats of events already seen are dropped. */
  frame: Server.MessagePalServerFrame;
  outbox: DirectPending[];
  ack: Server.DirectMessage;
  failed: FailedSend;
  /** The conversation's stream began anew: drop what is shown of it and fetch it again. */
  reload: { conversationId: string };
}

const UNAVAILABLE_RETRY_MS = 1000;

export class MessagePalSocket extends ReconnectingSocket<MessagePalSocketEvents> {
  userId: number | null = null;
  username: string | null = null;
  private readonly positions = new StreamPositions<string>(true);
  private readonly outbox = new Outbox<Client.SendMessage>();

  constructor(options: SocketOptions = {}) {
    super('/messagepal', options);
  }

  /** Follows a conversation: `lastSeq` is the last event already held, so the server
   * replays what came after it, now and after every reconnect. */
  subscribe(conversationId: string, lastSeq?: number): void {
    this.positions.follow(conversationId, lastSeq);
    this.sendSubscribe(conversationId);
  }

  unsubscribe(conversationId: string): void {
    this.positions.forget(conversationId);
    this.sendFrame(envelope('unsubscribe', { conversationId }) satisfies Client.Unsubscribe);
  }

  lastSeq(conversationId: string): number | undefined {
    return this.positions.lastSeq(conversationId);
  }

  sendMessage(recipientId: number, content: string): string {
    const clientMsgId = newClientMsgId();
    const frame: Client.SendMessage = envelope('send_message', { recipientId, content, clientMsgId });
    this.outbox.add({ clientMsgId, target: recipientId, content, frame });
    this.flush();
    this.emitOutbox();
    return clientMsgId;
  }

  pending(recipientId?: number): DirectPending[] {
    return this.outbox.list().filter((item) => recipientId === undefined || item.target === recipientId);
  }

  typing(recipientId: number): boolean {
    return this.sendFrame(envelope('typing', { recipientId }) satisfies Client.Typing);
  }

  markRead(messageId: number): boolean {
    return this.sendFrame(envelope('mark_read', { messageId }) satisfies Client.MarkRead);
  }

  fetchHistory(conversationId: string, before?: number, limit?: number): boolean {
    const payload = { conversationId, ...(before !== undefined && { before }), ...(limit !== undefined && { limit }) };
    return this.sendFrame(envelope('fetch_history', payload) satisfies Client.FetchHistory);
  }

  protected isGreeting(frame: { type?: unknown }): boolean {
    return frame.type === 'connected';
  }

  protected onReady(frame: unknown): void {
    const greeting = frame as Server.Connected;
    this.userId = greeting.payload.userId;
    this.username = greeting.payload.username;
    this.emit('frame', greeting);
    for (const conversationId of this.positions.keys()) this.sendSubscribe(conversationId);
    this.flush();
  }

  protected onDown(): void {
    this.outbox.requeueAll();
    this.emitOutbox();
  }

  protected onFrame(raw: unknown): void {
    const frame = raw as Server.MessagePalServerFrame | { type: 'reload'; payload?: { conversationId?: string } };
    switch (frame.type) {
      case 'subscribed': {
        const epoch = (frame.payload as { epoch?: unknown }).epoch;
        const { conversationId, lastSeq } = frame.payload;
        if (this.positions.confirm(conversationId, lastSeq, epoch)) this.emit('reload', { conversationId });
        this.emit('frame', frame);
        return;
      }
      case 'reload': {
        const conversationId = frame.payload?.conversationId;
        if (typeof conversationId === 'string') {
          this.positions.reset(conversationId);
          this.emit('reload', { conversationId });
          this.sendSubscribe(conversationId);
        }
        return;
      }
      case 'message_received':
        if (!this.seen(frame.payload.conversationId, frame.payload.seq)) return;
        this.acknowledge(frame.payload);
        this.emit('frame', frame);
        return;
      case 'message_read':
        if (!this.seen(frame.payload.conversationId, frame.payload.seq)) return;
        this.emit('frame', frame);
        return;
      case 'error':
        this.onError(frame.payload);
        this.emit('frame', frame);
        return;
      default:
        this.emit('frame', frame);
    }
  }

  /** Whether an event is new; a conversation seen once is resumed after reconnects. */
  private seen(conversationId: string, seq: number): boolean {
    if (!this.positions.has(conversationId)) this.positions.follow(conversationId);
    return this.positions.advance(conversationId, seq);
  }

  private acknowledge(message: Server.DirectMessage): void {
    if (!message.clientMsgId || message.senderId !== this.userId) return;
    if (!this.outbox.remove(message.clientMsgId)) return;
    this.emit('ack', message);
    this.emitOutbox();
  }

  private onError(error: Server.ErrorPayload): void {
    const id = error.clientMsgId;
    const item = id ? this.outbox.get(id) : undefined;
    if (!item || !id) return;
    if (isPassing(error.code)) {
      item.state = 'queued';
      this.schedule(() => this.flush(), error.retryAfterMs ?? UNAVAILABLE_RETRY_MS);
      return;
    }
    this.outbox.remove(id);
    this.emit('failed', { clientMsgId: id, target: item.target, content: item.content, code: error.code, message: error.message });
    this.emitOutbox();
  }

  private sendSubscribe(conversationId: string): void {
    const lastSeq = this.positions.lastSeq(conversationId);
    this.sendFrame(envelope('subscribe', { conversationId, ...(lastSeq !== undefined && { lastSeq }) }) satisfies Client.Subscribe);
  }

  private flush(): void {
    let changed = false;
    for (const item of this.outbox.queued()) {
      if (!this.sendFrame(item.frame)) break;
      item.state = 'sent';
      item.attempts += 1;
      changed = true;
    }
    if (changed) this.emitOutbox();
  }

  private emitOutbox(): void {
    this.emit('outbox', this.outbox.list());
  }
}

function envelope<T extends string, P>(type: T, payload: P): { type: T; payload: P } {
  return { type, payload };
}
