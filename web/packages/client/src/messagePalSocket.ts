/** `/messagepal`: direct messages. Every socket of a user receives all of that user's DM
 * events; conversations subscribed to, or seen, are resumed after a reconnect from the last
 * `seq` seen, repeats are dropped, and sends wait in an outbox until their echo comes back. */

import type * as Client from './generated/messagePalClientFrame.js';
import type * as Server from './generated/messagePalServerFrame.js';
import type { PendingSend } from './outbox.js';
import type { SocketOptions } from './reconnecting.js';
import { type SendingEvents, SendingSocket } from './sendingSocket.js';
import { StreamPositions } from './streams.js';

export type DirectPending = PendingSend<Client.SendMessage>;

export interface MessagePalSocketEvents extends SendingEvents<Client.SendMessage, Server.DirectMessage> {
  /** Every server frame, once: repeats of events already seen are dropped. */
  frame: Server.MessagePalServerFrame;
  /** The conversation's stream began anew: drop what is shown of it and fetch it again. */
  reload: { conversationId: string };
}

export class MessagePalSocket extends SendingSocket<MessagePalSocketEvents, Client.SendMessage, Server.DirectMessage> {
  private readonly positions = new StreamPositions<string>(true);

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
    return this.queue(recipientId, content, (clientMsgId) => envelope('send_message', { recipientId, content, clientMsgId }));
  }

  typing(recipientId: number): boolean {
    return this.sendFrame(envelope('typing', { recipientId }) satisfies Client.Typing);
  }

  markRead(messageId: number): boolean {
    return this.sendFrame(envelope('mark_read', { messageId }) satisfies Client.MarkRead);
  }

  /** Changes one's own DM: sent only on a live line; both sides get `message_edited` /
   * `message_deleted`, or the sender an `error` frame. */
  editMessage(messageId: number, content: string): boolean {
    return this.sendFrame(envelope('edit_message', { messageId, content }) satisfies Client.EditMessage);
  }

  deleteMessage(messageId: number): boolean {
    return this.sendFrame(envelope('delete_message', { messageId }) satisfies Client.DeleteMessage);
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

  /** DMs need no join: they go whenever the line is up. */
  protected canSend(): boolean {
    return true;
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
        this.acknowledge(frame.payload.clientMsgId, frame.payload.senderId, frame.payload);
        this.emit('frame', frame);
        return;
      case 'message_read':
      case 'message_edited':
      case 'message_deleted':
        if (!this.seen(frame.payload.conversationId, frame.payload.seq)) return;
        this.emit('frame', frame);
        return;
      case 'error':
        this.refused(frame.payload);
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

  private sendSubscribe(conversationId: string): void {
    const lastSeq = this.positions.lastSeq(conversationId);
    this.sendFrame(envelope('subscribe', { conversationId, ...(lastSeq !== undefined && { lastSeq }) }) satisfies Client.Subscribe);
  }
}

function envelope<T extends string, P>(type: T, payload: P): { type: T; payload: P } {
  return { type, payload };
}
