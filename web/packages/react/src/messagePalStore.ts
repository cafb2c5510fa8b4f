/** What `useMessagePal` shows, kept outside React: a store over one MessagePalSocket with
 * the inbox (from HTTP, kept live by the socket and fetched again on every reconnect),
 * each opened conversation's messages (history, then a subscription resuming from it) and
 * who is typing, handed to React as immutable snapshots. */

import type { ConnectionStatus, DirectPending, Dm, MessagePalServer, MessagePalSocket, ParleyHttp } from '@parley/client';

import type { FailedMessage, Refusal } from './chatStore.js';
import { SnapshotStore } from './snapshotStore.js';

export interface MessagePalSnapshot {
  status: ConnectionStatus;
  userId: number | null;
  conversations: readonly Dm.InboxEntry[];
  /** conversation id -> stored messages, oldest first */
  messages: ReadonlyMap<string, readonly Dm.DirectMessage[]>;
  typing: ReadonlySet<number>;
  pending: readonly DirectPending[];
  /** `channelId` holds the recipient's id */
  failed: readonly FailedMessage[];
  /** The server's latest refusal of a frame that is not a send (a read receipt, an edit, a
   * subscribe over the rate limit): a new object each time, as `ChatSnapshot.refusal`. */
  refusal: Refusal | null;
}

export interface MessagePalStoreOptions {
  pageSize?: number;
  typingExpiresMs?: number;
}

export class MessagePalStore extends SnapshotStore<MessagePalSnapshot> {
  private readonly conversations = new Map<string, Map<number, Dm.DirectMessage>>();
  private inbox: Dm.InboxEntry[] = [];
  private readonly typing = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly stops: (() => void)[] = [];
  private readonly pageSize: number;
  private readonly typingExpiresMs: number;
  private failed: FailedMessage[] = [];
  private refusal: Refusal | null = null;
  private active: string | null = null;

  constructor(
    readonly socket: MessagePalSocket,
    private readonly http: ParleyHttp,
    options: MessagePalStoreOptions = {},
  ) {
    super();
    this.pageSize = options.pageSize ?? 50;
    this.typingExpiresMs = options.typingExpiresMs ?? 3000;
  }

  override start(): void {
    this.stops.push(
      this.socket.on('status', (status) => {
        if (status === 'connected') void this.refreshInbox();
        this.changed();
      }),
      this.socket.on('frame', (frame) => this.apply(frame)),
      this.socket.on('outbox', () => this.changed()),
      this.socket.on('failed', (send) => {
        this.failed = [...this.failed, { clientMsgId: send.clientMsgId, channelId: send.target, content: send.content, code: send.code }];
        this.changed();
      }),
      this.socket.on('reload', ({ conversationId }) => {
        this.conversations.delete(conversationId);
        void this.open(conversationId);
      }),
    );
    this.socket.start();
  }

  override stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const timer of this.typing.values()) clearTimeout(timer);
    this.typing.clear();
    this.socket.close();
  }

  async refreshInbox(): Promise<void> {
    try {
      this.inbox = await this.http.conversations();
      this.changed();
    } catch {
      // kept as it was; the next reconnect fetches it again
    }
  }

  /** Shows a conversation: its newest page, then a subscription that resumes from it. */
  async open(conversationId: string): Promise<void> {
    this.active = conversationId;
    const held = this.messagesOf(conversationId);
    const entry = this.inbox.find((e) => e.conversationId === conversationId);
    if (entry?.unread) this.inbox = this.inbox.map((e) => (e === entry ? { ...e, unread: 0 } : e));
    let last: number | undefined;
    try {
      const page = await this.http.conversationMessages(conversationId, { limit: this.pageSize });
      for (const message of page) held.set(message.id, message);
      last = page.reduce((max, m) => Math.max(max, m.seq), 0);
    } catch {
      // a conversation with nobody yet (404) or the server away: subscribe from what is held
    }
    this.socket.subscribe(conversationId, last);
    this.changed();
  }

  close(conversationId: string): void {
    this.socket.unsubscribe(conversationId);
    if (this.active === conversationId) this.active = null;
    this.changed();
  }

  private messagesOf(conversationId: string): Map<number, Dm.DirectMessage> {
    let held = this.conversations.get(conversationId);
    if (!held) this.conversations.set(conversationId, (held = new Map()));
    return held;
  }

  private apply(frame: MessagePalServer.MessagePalServerFrame): void {
    switch (frame.type) {
      case 'message_received': {
        const message = frame.payload;
        this.messagesOf(message.conversationId).set(message.id, message);
        this.stopTyping(message.senderId);
        this.inbox = withMessage(this.inbox, message, this.socket.userId, this.active);
        break;
      }
      case 'message_read': {
        const held = this.messagesOf(frame.payload.conversationId);
        for (const [id, message] of held) {
          if (id <= frame.payload.messageId && message.recipientId === frame.payload.readBy && !message.readAt) {
            held.set(id, { ...message, readAt: frame.payload.readAt });
          }
        }
        break;
      }
      case 'message_edited':
      case 'message_deleted': {
        const held = this.messagesOf(frame.payload.conversationId);
        const message = held.get(frame.payload.messageId);
        if (!message) break;
        const changed =
          frame.type === 'message_edited'
            ? { ...message, content: frame.payload.content, editedAt: frame.payload.editedAt }
            : { ...message, content: '', deleted: true };
        held.set(message.id, changed);
        this.inbox = this.inbox.map((e) => (e.lastMessage?.id === message.id ? { ...e, lastMessage: changed } : e));
        break;
      }
      case 'history_response': {
        const held = this.messagesOf(frame.payload.conversationId);
        for (const message of frame.payload.messages) held.set(message.id, message);
        break;
      }
      case 'error':
        // A send's refusal is the outbox's to retry or report; any other is only the reader's to know.
        if (!frame.payload.clientMsgId) this.refusal = { code: frame.payload.code, message: frame.payload.message };
        break;
      case 'user_typing': {
        const typist = frame.payload.userId;
        const previous = this.typing.get(typist);
        if (previous) clearTimeout(previous);
        this.typing.set(typist, setTimeout(() => this.stopTyping(typist), this.typingExpiresMs));
        break;
      }
      default:
        break;
    }
    this.changed();
  }

  private stopTyping(userId: number): void {
    const timer = this.typing.get(userId);
    if (!timer) return;
    clearTimeout(timer);
    this.typing.delete(userId);
    this.changed();
  }

  protected build(): MessagePalSnapshot {
    const messages = new Map<string, Dm.DirectMessage[]>();
    for (const [id, held] of this.conversations) messages.set(id, [...held.values()].sort((a, b) => a.seq - b.seq));
    return {
      status: this.socket.status,
      userId: this.socket.userId,
      conversations: this.inbox,
      messages,
      typing: new Set(this.typing.keys()),
      pending: this.socket.pending(),
      failed: this.failed,
      refusal: this.refusal,
    };
  }
}

/** The inbox after a message: its conversation first, unread counted unless it is open. */
function withMessage(inbox: Dm.InboxEntry[], message: Dm.DirectMessage, me: number | null, active: string | null): Dm.InboxEntry[] {
  const other = message.senderId === me ? message.recipientId : message.senderId;
  const unread = message.senderId !== me && message.conversationId !== active ? 1 : 0;
  const existing = inbox.find((entry) => entry.conversationId === message.conversationId);
  const entry: Dm.InboxEntry = existing
    ? { ...existing, lastMessage: message, unread: existing.unread + unread }
    : { conversationId: message.conversationId, otherUserId: other, lastMessage: message, unread };
  return [entry, ...inbox.filter((e) => e.conversationId !== message.conversationId)];
}
