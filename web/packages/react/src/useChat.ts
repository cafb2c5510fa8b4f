/** `useChat`: the seed's `useChatWs` on @parley/client. One `/ws/chat` socket joins every
 * channel it is given (so unread counts stay live), loads each one's newest history and
 * resumes from it, and shows the active channel: messages with their pending or
 * acknowledged state, typing, who is online, read receipts, paging upward. */

import { useCallback, useEffect, useMemo, useRef } from 'react';
import { ChatSocket, type ChatServer, type ParleyHttp, type SendOptions, type SocketOptions } from '@parley/client';

import { type ChatSnapshot, ChatStore, type DeliveryState, type PersonRef } from './chatStore.js';
import { useStore } from './snapshotStore.js';

/** A message as shown: stored ones are `acknowledged`; the outbox's are `pending` (no id yet). */
export interface ShownMessage {
  key: string;
  id: number | null;
  seq: number | null;
  channelId: number;
  authorId: number;
  content: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  replyTo: number | null;
  /** How many replies it has, and each emoji's reactions (`reacted`: the reader's among them). */
  replyCount: number;
  reactions: readonly ChatServer.Reaction[];
  clientMsgId: string | null;
  state: DeliveryState;
}

export interface UseChatOptions {
  http: ParleyHttp;
  /** Off (no socket) while false, e.g. until a user is logged in. */
  enabled: boolean;
  /** Channels to join (all of a workspace, for unread badges). */
  channelIds: readonly number[];
  activeChannelId?: number | null;
  /** Called on every server frame, as the seed's `onEvent`. */
  onEvent?: (frame: ChatServer.ChatServerFrame) => void;
  /** Read when the socket is made. */
  socketOptions?: SocketOptions;
  pageSize?: number;
}

const IDLE: ChatSnapshot = { status: 'idle', userId: null, channels: new Map(), pending: [], failed: [], refusal: null };

export function useChat(options: UseChatOptions) {
  const { http, enabled, channelIds, activeChannelId = null, onEvent, pageSize = 50 } = options;
  const socketOptions = useRef(options.socketOptions);
  const make = useCallback(
    () => new ChatStore(new ChatSocket(socketOptions.current ?? {}), http, { pageSize }),
    [http, pageSize],
  );
  const [store, snapshot] = useStore(enabled, make, IDLE);

  const channelKey = channelIds.join(',');
  useEffect(() => {
    store?.setChannels(channelKey ? channelKey.split(',').map(Number) : []);
  }, [store, channelKey]);

  useEffect(() => {
    store?.setActive(activeChannelId);
  }, [store, activeChannelId]);

  useEffect(() => {
    if (!store || !onEvent) return undefined;
    return store.socket.on('frame', onEvent);
  }, [store, onEvent]);

  const active = activeChannelId === null ? undefined : snapshot.channels.get(activeChannelId);

  const messages = useMemo(
    () => (activeChannelId === null || !active ? [] : shownMessages(snapshot, activeChannelId, active.messages)),
    [snapshot, active, activeChannelId],
  );
  const unread = useMemo(
    () => Object.fromEntries([...snapshot.channels].map(([id, channel]) => [id, channel.unread])) as Record<number, number>,
    [snapshot],
  );

  return {
    status: snapshot.status,
    isConnected: snapshot.status === 'connected',
    connectedUserId: snapshot.userId,
    messages,
    typingUsers: active?.typing ?? NONE,
    onlineUsers: active?.online ?? NONE,
    readReceipts: active?.reads ?? NO_READS,
    unread,
    hasOlder: active?.hasOlder ?? false,
    /** The latest refused action that was not a send (a reaction or edit over the rate limit, say). */
    refusal: snapshot.refusal,
    loadOlder: useCallback(async () => {
      if (store && activeChannelId !== null) await store.loadOlder(activeChannelId);
    }, [store, activeChannelId]),
    /** Joins a channel beyond `channelIds` (until they change or `leave`). */
    join: useCallback((channelId: number) => store?.join(channelId), [store]),
    leave: useCallback((channelId: number) => store?.leave(channelId), [store]),
    sendMessage: useCallback(
      (channelId: number, content: string, sendOptions?: SendOptions) => store?.socket.sendMessage(channelId, content, sendOptions) ?? null,
      [store],
    ),
    sendTyping: useCallback((channelId: number) => store?.socket.typing(channelId) ?? false, [store]),
    stopTyping: useCallback((channelId: number) => store?.socket.stopTyping(channelId) ?? false, [store]),
    markRead: useCallback((channelId: number, messageId: number) => store?.socket.markRead(channelId, messageId) ?? false, [store]),
    markDelivered: useCallback(
      (channelId: number, messageId: number) => store?.socket.markDelivered(channelId, messageId) ?? false,
      [store],
    ),
    /** Changes to posted messages: false when the line is down (nothing is sent). */
    editMessage: useCallback((messageId: number, content: string) => store?.socket.editMessage(messageId, content) ?? false, [store]),
    deleteMessage: useCallback((messageId: number) => store?.socket.deleteMessage(messageId) ?? false, [store]),
    addReaction: useCallback((messageId: number, emoji: string) => store?.socket.addReaction(messageId, emoji) ?? false, [store]),
    removeReaction: useCallback((messageId: number, emoji: string) => store?.socket.removeReaction(messageId, emoji) ?? false, [store]),
    pinMessage: useCallback((channelId: number, messageId: number) => store?.socket.pinMessage(channelId, messageId) ?? false, [store]),
    unpinMessage: useCallback((channelId: number, messageId: number) => store?.socket.unpinMessage(channelId, messageId) ?? false, [store]),
    reconnectNow: useCallback(() => store?.socket.reconnectNow(), [store]),
  };
}

const NONE: readonly PersonRef[] = [];
const NO_READS: ReadonlyMap<number, readonly number[]> = new Map();
const NO_REACTIONS: readonly ChatServer.Reaction[] = [];

/** Stored messages, then the outbox's sends not yet among them, then the refused ones. */
export function shownMessages(snapshot: ChatSnapshot, channelId: number, stored: readonly ChatServer.ChannelMessage[]): ShownMessage[] {
  const shown: ShownMessage[] = stored.map((m) => ({
    key: `m${m.id}`, id: m.id, seq: m.seq, channelId: m.channelId, authorId: m.authorId, content: m.content,
    createdAt: m.createdAt, editedAt: m.editedAt ?? null, deleted: m.deleted ?? false, replyTo: m.replyTo ?? null,
    replyCount: m.replyCount ?? 0, reactions: m.reactions ?? NO_REACTIONS, clientMsgId: m.clientMsgId ?? null, state: 'acknowledged',
  }));
  const held = new Set(shown.map((m) => m.clientMsgId));
  const author = snapshot.userId ?? 0;
  for (const p of snapshot.pending) {
    if (p.target !== channelId || held.has(p.clientMsgId)) continue;
    shown.push({
      key: `p${p.clientMsgId}`, id: null, seq: null, channelId, authorId: author, content: p.content,
      createdAt: new Date(p.createdAt).toISOString(), editedAt: null, deleted: false, replyTo: 'replyTo' in p.frame ? (p.frame.replyTo ?? null) : null,
      replyCount: 0, reactions: NO_REACTIONS, clientMsgId: p.clientMsgId, state: 'pending',
    });
  }
  for (const f of snapshot.failed) {
    if (f.channelId !== channelId) continue;
    shown.push({
      key: `f${f.clientMsgId}`, id: null, seq: null, channelId, authorId: author, content: f.content,
      createdAt: '', editedAt: null, deleted: false, replyTo: null, replyCount: 0, reactions: NO_REACTIONS,
      clientMsgId: f.clientMsgId, state: 'failed',
    });
  }
  return shown;
}
