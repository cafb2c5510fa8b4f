/** `/ws/chat`: channels. Joined channels are re-joined after every reconnect from the last
 * `seq` seen (the server replays what came after, so nothing is missed), events already seen
 * are dropped, and sends wait in an outbox until their own `new_message` comes back. */

import type * as Client from './generated/chatClientFrame.js';
import type * as Server from './generated/chatServerFrame.js';
import { isPassing, type PendingSend } from './outbox.js';
import type { SocketOptions } from './reconnecting.js';
import { type SendingEvents, SendingSocket } from './sendingSocket.js';
import { StreamPositions } from './streams.js';

export type ChatPending = PendingSend<Client.SendMessage>;

export interface ChatSocketEvents extends SendingEvents<Client.SendMessage, Server.ChannelMessage> {
  /** Every server frame, once: repeats of events already seen are dropped. */
  frame: Server.ChatServerFrame;
  /** The channel's stream began anew (another epoch, or `reload`): drop what is shown and fetch it again. */
  reload: { channelId: number };
}

export interface SendOptions {
  replyTo?: number;
  /** User ids or usernames. */
  mentions?: (number | string)[];
  messageType?: Server.MessageType;
}

export class ChatSocket extends SendingSocket<ChatSocketEvents, Client.SendMessage, Server.ChannelMessage> {
  private readonly positions = new StreamPositions<number>();
  /** Channels joined on the current line (the server requires a join before a send). */
  private readonly live = new Set<number>();

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
    return this.queue(channelId, content, (clientMsgId) => ({
      type: 'send_message',
      channelId,
      content,
      clientMsgId,
      ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
      ...(options.mentions?.length && { mentions: options.mentions }),
      ...(options.messageType && { messageType: options.messageType }),
    }));
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

  /** Changes to a posted message (the lifecycle's frames): sent only on a live line, like
   * typing; the change comes back to every socket in the channel as its own event, and a
   * refusal as an `error` frame. */
  editMessage(messageId: number, content: string): boolean {
    return this.sendFrame({ type: 'edit_message', messageId, content } satisfies Client.EditMessage);
  }

  deleteMessage(messageId: number): boolean {
    return this.sendFrame({ type: 'delete_message', messageId } satisfies Client.DeleteMessage);
  }

  addReaction(messageId: number, emoji: string): boolean {
    return this.sendFrame({ type: 'add_reaction', messageId, emoji } satisfies Client.AddReaction);
  }

  removeReaction(messageId: number, emoji: string): boolean {
    return this.sendFrame({ type: 'remove_reaction', messageId, emoji } satisfies Client.RemoveReaction);
  }

  pinMessage(channelId: number, messageId: number): boolean {
    return this.sendFrame({ type: 'pin_message', channelId, messageId } satisfies Client.PinMessage);
  }

  unpinMessage(channelId: number, messageId: number): boolean {
    return this.sendFrame({ type: 'unpin_message', channelId, messageId } satisfies Client.UnpinMessage);
  }

  markDelivered(channelId: number, messageId: number): boolean {
    return this.live.has(channelId) && this.sendFrame({ type: 'mark_delivered', channelId, messageId } satisfies Client.MarkDelivered);
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

  protected canSend(channelId: number): boolean {
    return this.live.has(channelId);
  }

  protected override onDown(): void {
    this.live.clear();
    super.onDown();
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
      case 'reaction_added':
      case 'reaction_removed':
      case 'message_pinned':
      case 'message_unpinned':
      case 'message_delivered':
        if (!this.positions.advance(frame.channelId, frame.seq)) return;
        if (frame.type === 'new_message') this.acknowledge(frame.message.clientMsgId, frame.message.authorId, frame.message);
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

  private onError(frame: Server.ErrorFrame): void {
    if (this.refused(frame)) return;
    // A join refused for good (no access, no such channel): stop re-joining it.
    if (frame.channelId && !isPassing(frame.code) && !this.live.has(frame.channelId) && frame.code !== 'bad_request') {
      this.positions.forget(frame.channelId);
    }
  }

  private sendJoin(channelId: number): void {
    const lastSeq = this.positions.lastSeq(channelId);
    const frame: Client.JoinChannel = { type: 'join_channel', channelId, ...(lastSeq !== undefined && { lastSeq }) };
    this.sendFrame(frame);
  }
}
