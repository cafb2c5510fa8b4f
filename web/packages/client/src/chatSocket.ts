/** `/ws/chat`: channels. Joined channels are re-joined after every reconnect from the last
 * `seq` seen (the server replays what came after, so nothing is missed), events already seen
 * are dropped, and sends wait in an outbox until their own `new_message` comes back. */

import type * as Client from './generated/chatClientFrame.js';
import type * as Server from './generated/chatServerFrame.js';
import { newClientMsgId } from './ids.js';
import { type FailedSend, Outbox, type PendingSend, isPassing } from './outbox.js';
import { ReconnectingSocket, type SocketEvents, type SocketOptions } from './reconnecting.js';
import { StreamPositions } from './streams.js';

export type ChatPending = PendingSend<Client.SendMessage>;

export interface ChatSocketEvents extends SocketEvents {
  /** Every server frame, once: repeats of events already seen are dropped. */
  frame: Server.ChatServerFrame;
  /** The outbox changed: a send was queued, sent, acknowledged or failed. */
  outbox: ChatPending[];
  /** A send the server acknowledged: its stored message. */
  ack: Server.ChannelMessage;
  /** A send the server refused for good (not a passing refusal such as a rate limit). */
  failed: FailedSend;
  /** The channel's stream began anew (another epoch, or `reload`): drop what is shown and fetch it again. */
  reload: { channelId: number };
}

export interface SendOptions {
  replyTo?: number;
  /** User ids or usernames. */
  mentions?: (number | string)[];
  messageType?: Server.MessageType;
}

const UNAVAILABLE_RETRY_MS = 1000;

export class ChatSocket extends ReconnectingSocket<ChatSocketEvents> {
  /** The user the server greeted this socket as. */
  userId: number | null = null;
  username: string | null = null;
  private readonly positions = new StreamPositions<number>();
  /** Channels joined on the current line (the server requires a join before a send). */
  private readonly live = new Set<number>();
  private readonly outbox = new Outbox<Client.SendMessage>();

  constructor(options: SocketOptions = {}) {
    super('/ws/chat', options);
  }

  /** Joins a channel now and after every reconnect. `lastSeq`: the last event already held
   * (from history), so the server replays everything after it. */
  join(channelId: number, lastSeq?: number): void {
    this.positions.follow(channelId, lastSeq);
    this.sendJoin(channelId);
  }

  leave(channelId: number): void {
    if (!this.positions.has(channelId)) return;
    this.positions.forget(channelId);
    this.live.delete(channelId);
    this.sendFrame({ type: 'leave_channel', channelId } satisfies Client.LeaveChannel);
  }

  joined(): number[] {
    return this.positions.keys();
  }

  lastSeq(channelId: number): number | undefined {
    return this.positions.lastSeq(channelId);
  }

  /** Queues a message and sends it as soon as the channel is joined on a live line; returns
   * its `clientMsgId`. It stays pending until the server's echo acknowledges it. */
  sendMessage(channelId: number, content: string, options: SendOptions = {}): string {
    const clientMsgId = newClientMsgId();
    const frame: Client.SendMessage = {
      type: 'send_message',
      channelId,
      content,
      clientMsgId,
      ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
      ...(options.mentions?.length && { mentions: options.mentions }),
      ...(options.messageType && { messageType: options.messageType }),
    };
    this.outbox.add({ clientMsgId, target: channelId, content, frame });
    this.flush(channelId);
    this.emitOutbox();
    return clientMsgId;
  }

  pending(channelId?: number): ChatPending[] {
    return this.outbox.list().filter((item) => channelId === undefined || item.target === channelId);
  }

  /** Typing, stop typing and read receipts are not worth keeping: sent only on a live line. */
  typing(channelId: number): boolean {
    return this.live.has(channelId) && this.sendFrame({ type: 'typing', channelId } satisfies Client.Typing);
  }

  stopTyping(channelId: number): boolean {
    return this.live.has(channelId) && this.sendFrame({ type: 'stop_typing', channelId } satisfies Client.StopTyping);
  }

  markRead(channelId: number, messageId: number): boolean {
    return this.live.has(channelId) && this.sendFrame({ type: 'mark_read', channelId, messageId } satisfies Client.MarkRead);
  }

  protected isGreeting(frame: { type?: unknown }): boolean {
    return frame.type === 'connected';
  }

  protected onReady(frame: unknown): void {
    const greeting = frame as Server.Connected;
    this.userId = greeting.userId;
    this.username = greeting.username;
    this.emit('frame', greeting);
    for (const channelId of this.positions.keys()) this.sendJoin(channelId);
  }

  protected onDown(): void {
    this.live.clear();
    this.outbox.requeueAll();
    this.emitOutbox();
  }

  protected onFrame(raw: unknown): void {
    const frame = raw as Server.ChatServerFrame | { type: 'reload'; channelId?: number };
    switch (frame.type) {
      case 'joined_channel':
        return this.onJoined(frame);
      case 'reload':
        if (typeof frame.channelId === 'number') this.reload(frame.channelId);
        return;
      case 'new_message':
      case 'message_edited':
      case 'message_deleted':
      case 'message_read':
        if (!this.positions.advance(frame.channelId, frame.seq)) return;
        if (frame.type === 'new_message') this.acknowledge(frame.message);
        this.emit('frame', frame);
        return;
      case 'error':
        this.onError(frame);
        this.emit('frame', frame);
        return;
      default:
        this.emit('frame', frame);
    }
  }

  private onJoined(frame: Server.JoinedChannel): void {
    if (!this.positions.has(frame.channelId)) return; // left while the join was under way
    const epoch = (frame as { epoch?: unknown }).epoch;
    if (this.positions.confirm(frame.channelId, frame.lastSeq, epoch)) this.emit('reload', { channelId: frame.channelId });
    this.live.add(frame.channelId);
    this.emit('frame', frame);
    this.flush(frame.channelId);
  }

  private reload(channelId: number): void {
    this.positions.reset(channelId);
    this.emit('reload', { channelId });
    this.live.delete(channelId);
    this.sendJoin(channelId);
  }

  private acknowledge(message: Server.ChannelMessage): void {
    if (!message.clientMsgId || message.authorId !== this.userId) return;
    if (!this.outbox.remove(message.clientMsgId)) return;
    this.emit('ack', message);
    this.emitOutbox();
  }

  private onError(frame: Server.ErrorFrame): void {
    const id = frame.clientMsgId;
    const item = id ? this.outbox.get(id) : undefined;
    if (!item || !id) {
      // A join refused for good (no access, no such channel): stop re-joining it.
      if (frame.channelId && !isPassing(frame.code) && !this.live.has(frame.channelId) && frame.code !== 'bad_request') {
        this.positions.forget(frame.channelId);
      }
      return;
    }
    if (isPassing(frame.code)) {
      item.state = 'queued';
      const wait = frame.retryAfterMs ?? UNAVAILABLE_RETRY_MS;
      this.schedule(() => this.flush(item.target), wait);
      return;
    }
    this.outbox.remove(id);
    this.emit('failed', { clientMsgId: id, target: item.target, content: item.content, code: frame.code, message: frame.message });
    this.emitOutbox();
  }

  private sendJoin(channelId: number): void {
    const lastSeq = this.positions.lastSeq(channelId);
    const frame: Client.JoinChannel = { type: 'join_channel', channelId, ...(lastSeq !== undefined && { lastSeq }) };
    this.sendFrame(frame);
  }

  private flush(channelId: number): void {
    if (!this.live.has(channelId)) return;
    let changed = false;
    for (const item of this.outbox.queued(channelId)) {
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
