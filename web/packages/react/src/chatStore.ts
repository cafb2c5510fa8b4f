/** What `useChat` shows, kept outside React: a store over one ChatSocket that joins the
 * channels it is given (each after loading its newest history page, resuming from it),
 * folds the socket's frames into per-channel views, and hands React immutable snapshots
 * (`useSyncExternalStore`). */

import type { ChatPending, ChatServer, ChatSocket, ConnectionStatus, ParleyHttp } from '@parley/client';

import { SnapshotStore } from './snapshotStore.js';

export type DeliveryState = 'pending' | 'acknowledged' | 'failed';

export interface PersonRef {
  userId: number;
  username: string;
}

export interface FailedMessage {
  clientMsgId: string;
  channelId: number;
  content: string;
  code: string;
}

export interface ChannelSnapshot {
  /** Stored messages, oldest first. */
  messages: readonly ChatServer.ChannelMessage[];
  typing: readonly PersonRef[];
  online: readonly PersonRef[];
  /** message id -> ids of users whose latest read receipt is that message */
  reads: ReadonlyMap<number, readonly number[]>;
  unread: number;
  hasOlder: boolean;
}

export interface ChatSnapshot {
  status: ConnectionStatus;
  userId: number | null;
  channels: ReadonlyMap<number, ChannelSnapshot>;
  pending: readonly ChatPending[];
  failed: readonly FailedMessage[];
  /** The server's latest refusal of a frame that is not a send (a reaction, an edit, a join
   * over the rate limit, say): a new object each time, for the page to tell its user. */
  refusal: Refusal | null;
}

export interface Refusal {
  code: string;
  message: string;
}

interface ChannelState {
  messages: Map<number, ChatServer.ChannelMessage>;
  typing: Map<number, string>;
  online: Map<number, string>;
  reads: Map<number, Set<number>>;
  unread: number;
  hasOlder: boolean;
  loading: boolean;
}

export interface ChatStoreOptions {
  pageSize?: number;
  /** How long a `user_typing` shows without a new one. */
  typingExpiresMs?: number;
}

export class ChatStore extends SnapshotStore<ChatSnapshot> {
  private readonly channels = new Map<number, ChannelState>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly stops: (() => void)[] = [];
  private readonly pageSize: number;
  private readonly typingExpiresMs: number;
  private failed: FailedMessage[] = [];
  private refusal: Refusal | null = null;
  private active: number | null = null;

  constructor(
    readonly socket: ChatSocket,
    private readonly http: ParleyHttp,
    options: ChatStoreOptions = {},
  ) {
    super();
    this.pageSize = options.pageSize ?? 50;
    this.typingExpiresMs = options.typingExpiresMs ?? 6000;
  }

  override start(): void {
    this.stops.push(
      this.socket.on('status', () => this.changed()),
      this.socket.on('frame', (frame) => this.apply(frame)),
      this.socket.on('outbox', () => this.changed()),
      this.socket.on('failed', (send) => {
        this.failed = [...this.failed, { clientMsgId: send.clientMsgId, channelId: send.target, content: send.content, code: send.code }];
        this.changed();
      }),
      this.socket.on('reload', ({ channelId }) => {
        if (!this.channels.has(channelId)) return;
        this.channels.set(channelId, emptyChannel());
        void this.loadLatest(channelId, false);
      }),
    );
    this.socket.start();
  }

  override stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    this.socket.close();
  }

  /** Joins these channels (each after its newest history page) and leaves the others. */
  setChannels(channelIds: readonly number[]): void {
    const wanted = new Set(channelIds);
    for (const channelId of [...this.channels.keys()]) if (!wanted.has(channelId)) this.leave(channelId);
    for (const channelId of wanted) this.join(channelId);
    this.changed();
  }

  /** Joins one more channel (after its newest history page). */
  join(channelId: number): void {
    if (this.channels.has(channelId)) return;
    this.channels.set(channelId, emptyChannel());
    void this.loadLatest(channelId, true);
    this.changed();
  }

  /** Leaves one channel and forgets what was shown of it. */
  leave(channelId: number): void {
    if (!this.channels.delete(channelId)) return;
    this.socket.leave(channelId);
    this.changed();
  }

  /** The channel shown: its unread count stays at zero. */
  setActive(channelId: number | null): void {
    this.active = channelId;
    const channel = channelId === null ? undefined : this.channels.get(channelId);
    if (channel && channel.unread) channel.unread = 0;
    this.changed();
  }

  /** The page before the oldest message held. */
  async loadOlder(channelId: number): Promise<void> {
    const channel = this.channels.get(channelId);
    if (!channel || !channel.hasOlder || channel.loading) return;
    const oldest = Math.min(...[...channel.messages.values()].map((m) => m.seq));
    if (!Number.isFinite(oldest)) return;
    channel.loading = true;
    try {
      const page = await this.http.history(channelId, { before: oldest, limit: this.pageSize });
      for (const message of page) channel.messages.set(message.id, message);
      channel.hasOlder = page.length === this.pageSize;
    } finally {
      channel.loading = false;
      this.changed();
    }
  }

  private async loadLatest(channelId: number, join: boolean): Promise<void> {
    const channel = this.channels.get(channelId);
    if (!channel) return;
    let last: number | undefined;
    try {
      // The count first, then the page: a message stored in between is in the page and not
      // counted, rather than counted twice (once here, once when the join replays it).
      const { count } = await this.http.unread(channelId);
      // The open channel is being read: its count is the reader's, not the server's.
      if (channelId !== this.active) channel.unread = count;
    } catch {
      // no count (the server is away): the badge counts from now on
    }
    try {
      const page = await this.http.history(channelId, { limit: this.pageSize });
      for (const message of page) channel.messages.set(message.id, message);
      channel.hasOlder = page.length === this.pageSize;
      last = page.reduce((max, m) => Math.max(max, m.seq), 0);
    } catch {
      // No history (the server is away, or no access): join anyway; live events still come,
      // and a refused join is reported by the socket.
    }
    if (join && this.channels.get(channelId) === channel) this.socket.join(channelId, last);
    this.changed();
  }

  private apply(frame: ChatServer.ChatServerFrame): void {
    if (frame.type === 'error' && !frame.clientMsgId) {
      // A send's refusal is the outbox's to retry or report; any other is only the reader's to know.
      this.refusal = { code: frame.code, message: frame.message };
      return this.changed();
    }
    if (!('channelId' in frame) || typeof frame.channelId !== 'number') return this.changed();
    const channel = this.channels.get(frame.channelId);
    if (!channel) return;
    switch (frame.type) {
      case 'joined_channel':
        channel.online = new Map(frame.online.map((u) => [u.userId, u.username]));
        break;
      case 'new_message': {
        const isNew = !channel.messages.has(frame.message.id);
        channel.messages.set(frame.message.id, frame.message);
        this.clearTyping(frame.channelId, frame.message.authorId);
        if (isNew && frame.channelId !== this.active && frame.message.authorId !== this.socket.userId) channel.unread += 1;
        const parent = frame.message.replyTo ? channel.messages.get(frame.message.replyTo) : undefined;
        if (isNew && parent) {
          channel.messages.set(parent.id, { ...parent, replyCount: (parent.replyCount ?? 0) + 1, lastReplyAt: frame.message.createdAt });
        }
        break;
      }
      case 'reaction_added':
      case 'reaction_removed': {
        const message = channel.messages.get(frame.messageId);
        if (message) {
          const reactions = reacted(message.reactions ?? [], frame.emoji, frame.userId, frame.type === 'reaction_added', this.socket.userId);
          channel.messages.set(message.id, { ...message, reactions });
        }
        break;
      }
      case 'unread_updated':
        // Counts go up with the messages seen here (which resume replays); a read made
        // elsewhere (another tab, another device) brings them down.
        if (frame.delta < 0) channel.unread = Math.max(0, channel.unread + frame.delta);
        break;
      case 'message_edited': {
        const message = channel.messages.get(frame.messageId);
        if (message) channel.messages.set(frame.messageId, { ...message, content: frame.content, editedAt: frame.editedAt });
        break;
      }
      case 'message_deleted': {
        const message = channel.messages.get(frame.messageId);
        if (message) channel.messages.set(frame.messageId, { ...message, content: '', deleted: true });
        break;
      }
      case 'message_read': {
        for (const readers of channel.reads.values()) readers.delete(frame.userId);
        const readers = channel.reads.get(frame.messageId) ?? new Set<number>();
        readers.add(frame.userId);
        channel.reads.set(frame.messageId, readers);
        break;
      }
      case 'user_typing': {
        if (frame.userId === this.socket.userId) return;
        channel.typing.set(frame.userId, frame.username);
        const key = `${frame.channelId}:${frame.userId}`;
        const previous = this.typingTimers.get(key);
        if (previous) clearTimeout(previous);
        this.typingTimers.set(key, setTimeout(() => this.clearTyping(frame.channelId, frame.userId), this.typingExpiresMs));
        break;
      }
      case 'user_stop_typing':
        this.clearTyping(frame.channelId, frame.userId);
        break;
      case 'user_presence':
        if (frame.status === 'online') channel.online.set(frame.userId, frame.username);
        else channel.online.delete(frame.userId);
        break;
      default:
        break;
    }
    this.changed();
  }

  private clearTyping(channelId: number, userId: number): void {
    const key = `${channelId}:${userId}`;
    const timer = this.typingTimers.get(key);
    if (timer) clearTimeout(timer);
    this.typingTimers.delete(key);
    if (this.channels.get(channelId)?.typing.delete(userId)) this.changed();
  }

  protected build(): ChatSnapshot {
    const channels = new Map<number, ChannelSnapshot>();
    for (const [channelId, c] of this.channels) {
      channels.set(channelId, {
        messages: [...c.messages.values()].sort((a, b) => a.seq - b.seq),
        typing: [...c.typing].map(([userId, username]) => ({ userId, username })),
        online: [...c.online].map(([userId, username]) => ({ userId, username })),
        reads: new Map([...c.reads].map(([id, readers]) => [id, [...readers]])),
        unread: channelId === this.active ? 0 : c.unread,
        hasOlder: c.hasOlder,
      });
    }
    return { status: this.socket.status, userId: this.socket.userId, channels, pending: this.socket.pending(), failed: this.failed, refusal: this.refusal };
  }
}

/** A message's reactions after `userId` added or removed `emoji`: each emoji's users, count
 * and whether the reader (`me`) is among them, as history folds them; repeats change nothing. */
export function reacted(
  reactions: readonly ChatServer.Reaction[],
  emoji: string,
  userId: number,
  added: boolean,
  me: number | null,
): ChatServer.Reaction[] {
  const existing = reactions.find((r) => r.emoji === emoji);
  const before = existing?.userIds ?? [];
  if (added === before.includes(userId)) return [...reactions];
  const userIds = added ? [...before, userId] : before.filter((id) => id !== userId);
  const next: ChatServer.Reaction = { emoji, count: userIds.length, userIds, reacted: me !== null && userIds.includes(me) };
  if (!existing) return [...reactions, next];
  return reactions.flatMap((r) => (r !== existing ? [r] : userIds.length ? [next] : []));
}

function emptyChannel(): ChannelState {
  return { messages: new Map(), typing: new Map(), online: new Map(), reads: new Map(), unread: 0, hasOlder: false, loading: false };
}
