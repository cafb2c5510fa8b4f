/** `useChat`: the seed's `useChatWs` on @parley/client. One `/ws/chat` socket joins every
 * channel it is given (so unread counts stay live), loads each one's latest history first and
 * resumes from it, and shows the active channel: messages with their pending or
 * acknowledged state, typing, who is online, read receipts, paging upward. */

import { useCallback, useEffect, useRef, useState } from 'react';
import {
  ChatSocket,
  type ChatServer,
  type ConnectionStatus,
  type ParleyHttp,
  type SendOptions,
  type SocketOptions,
} from '@parley/client';

export type DeliveryState = 'pending' | 'acknowledged' | 'failed';

/** A message as shown: stored ones are `acknowledged`; the outbox's are `pending` (no id yet). */
export interface ShownMessage {
  key: string;
  id: number | null;
  seq: number | null;
  channelId: number;
  authorId: number;
  content: string;
  createdAt: string;
  editedAt?: string | null;
  deleted: boolean;
  replyTo?: number | null;
  clientMsgId?: string | null;
  state: DeliveryState;
}

export interface PersonRef {
  userId: number;
  username: string;
}

interface ChannelView {
  messages: Map<number, ChatServer.ChannelMessage>;
  typing: Map<number, string>;
  online: Map<number, string>;
  /** message id -> ids of users who read up to it */
  reads: Map<number, Set<number>>;
  unread: number;
  hasOlder: boolean;
  loaded: boolean;
}

export interface UseChatOptions {
  http: ParleyHttp;
  /** Off (no socket) while false, e.g. until a user is logged in. */
  enabled: boolean;
  /** Channels to join (all of a workspace, for unread badges). */
  channelIds: number[];
  activeChannelId?: number | null;
  /** Called on every server frame, as the seed's `onEvent`. */
  onEvent?: (frame: ChatServer.ChatServerFrame) => void;
  socketOptions?: SocketOptions;
  /** Messages per history page. */
  pageSize?: number;
}

const TYPING_EXPIRES_MS = 6000;

function emptyView(): ChannelView {
  return { messages: new Map(), typing: new Map(), online: new Map(), reads: new Map(), unread: 0, hasOlder: true, loaded: false };
}

export function useChat(options: UseChatOptions) {
  const { http, enabled, channelIds, activeChannelId = null, pageSize = 50 } = options;
  const [socket, setSocket] = useState<ChatSocket | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>('idle');
  const [userId, setUserId] = useState<number | null>(null);
  const [, setVersion] = useState(0);
  const [failed, setFailed] = useState<ShownMessage[]>([]);
  const views = useRef(new Map<number, ChannelView>());
  const activeRef = useRef(activeChannelId);
  const onEventRef = useRef(options.onEvent);
  const typingTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const socketOptions = useRef(options.socketOptions);
  activeRef.current = activeChannelId;
  onEventRef.current = options.onEvent;

  const bump = useCallback(() => setVersion((v) => v + 1), []);
  const view = useCallback((channelId: number): ChannelView => {
    let found = views.current.get(channelId);
    if (!found) views.current.set(channelId, (found = emptyView()));
    return found;
  }, []);

  // One socket while enabled.
  useEffect(() => {
    if (!enabled) return undefined;
    const created = new ChatSocket(socketOptions.current ?? {});
    const timers = typingTimers.current;
    const stops = [
      created.on('status', (next) => {
        setStatus(next);
        if (next === 'connected') setUserId(created.userId);
      }),
      created.on('frame', (frame) => {
        apply(frame);
        onEventRef.current?.(frame);
      }),
      created.on('outbox', () => bump()),
      created.on('failed', (send) => {
        setFailed((list) => [...list, failedMessage(send.clientMsgId, send.target, created.userId ?? 0, send.content)]);
      }),
      created.on('reload', ({ channelId }) => {
        views.current.set(channelId, emptyView());
        void loadLatest(channelId, created, true);
      }),
    ];

    function apply(frame: ChatServer.ChatServerFrame): void {
      switch (frame.type) {
        case 'joined_channel': {
          const v = view(frame.channelId);
          v.online = new Map(frame.online.map((u) => [u.userId, u.username]));
          break;
        }
        case 'new_message': {
          const v = view(frame.channelId);
          const isNew = !v.messages.has(frame.message.id);
          v.messages.set(frame.message.id, frame.message);
          clearTyping(frame.channelId, frame.message.authorId);
          if (isNew && frame.channelId !== activeRef.current && frame.message.authorId !== created.userId) v.unread += 1;
          break;
        }
        case 'message_edited': {
          const message = view(frame.channelId).messages.get(frame.messageId);
          if (message) view(frame.channelId).messages.set(frame.messageId, { ...message, content: frame.content, editedAt: frame.editedAt });
          break;
        }
        case 'message_deleted': {
          const message = view(frame.channelId).messages.get(frame.messageId);
          if (message) view(frame.channelId).messages.set(frame.messageId, { ...message, content: '', deleted: true });
          break;
        }
        case 'message_read': {
          const reads = view(frame.channelId).reads;
          for (const readers of reads.values()) readers.delete(frame.userId);
          const readers = reads.get(frame.messageId) ?? new Set<number>();
          readers.add(frame.userId);
          reads.set(frame.messageId, readers);
          break;
        }
        case 'user_typing': {
          if (frame.userId === created.userId) return;
          view(frame.channelId).typing.set(frame.userId, frame.username);
          const key = `${frame.channelId}:${frame.userId}`;
          const previous = timers.get(key);
          if (previous) clearTimeout(previous);
          timers.set(key, setTimeout(() => clearTyping(frame.channelId, frame.userId), TYPING_EXPIRES_MS));
          break;
        }
        case 'user_stop_typing':
          clearTyping(frame.channelId, frame.userId);
          break;
        case 'user_presence': {
          const online = view(frame.channelId).online;
          if (frame.status === 'online') online.set(frame.userId, frame.username);
          else online.delete(frame.userId);
          break;
        }
        default:
          return;
      }
      bump();
    }

    function clearTyping(channelId: number, typist: number): void {
      const key = `${channelId}:${typist}`;
      const timer = timers.get(key);
      if (timer) clearTimeout(timer);
      timers.delete(key);
      if (view(channelId).typing.delete(typist)) bump();
    }

    setSocket(created);
    created.start();
    return () => {
      for (const stop of stops) stop();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      created.close();
      views.current.clear();
      setSocket(null);
      setStatus('idle');
    };
    // Only `enabled` makes a new socket: the rest is read through refs.
  }, [enabled]);

  /** The newest page of a channel, then a join from its last seq (nothing missed in between). */
  const loadLatest = useCallback(
    async (channelId: number, on: ChatSocket, rejoin: boolean) => {
      const v = view(channelId);
      try {
        const page = await http.history(channelId, { limit: pageSize });
        for (const message of page) v.messages.set(message.id, message);
        v.hasOlder = page.length === pageSize;
        v.loaded = true;
        const last = page.reduce((max, m) => Math.max(max, m.seq), 0);
        if (!rejoin) on.join(channelId, last);
      } catch {
        // No access, or the server is away: join without a position; live events still come.
        if (!rejoin) on.join(channelId);
      }
      bump();
    },
    [http, pageSize, view, bump],
  );

  // Join what is asked, leave what is no longer.
  const channelKey = channelIds.join(',');
  useEffect(() => {
    if (!socket) return;
    const wanted = new Set(channelIds);
    for (const joined of socket.joined()) {
      if (!wanted.has(joined)) {
        socket.leave(joined);
        views.current.delete(joined);
      }
    }
    for (const channelId of wanted) {
      if (!socket.joined().includes(channelId) && !view(channelId).loaded) void loadLatest(channelId, socket, false);
    }
    // channelKey stands for channelIds, whose identity changes on every render.
  }, [socket, channelKey, loadLatest, view]);

  // Opening a channel reads it.
  useEffect(() => {
    if (activeChannelId === null) return;
    const v = views.current.get(activeChannelId);
    if (v && v.unread) {
      v.unread = 0;
      bump();
    }
  });

  const loadOlder = useCallback(async (): Promise<void> => {
    const channelId = activeRef.current;
    if (channelId === null) return;
    const v = view(channelId);
    const oldest = [...v.messages.values()].reduce((min, m) => Math.min(min, m.seq), Number.MAX_SAFE_INTEGER);
    if (oldest === Number.MAX_SAFE_INTEGER || !v.hasOlder) return;
    const page = await http.history(channelId, { before: oldest, limit: pageSize });
    for (const message of page) v.messages.set(message.id, message);
    v.hasOlder = page.length === pageSize;
    bump();
  }, [http, pageSize, view, bump]);

  const active = activeChannelId === null ? null : (views.current.get(activeChannelId) ?? null);
  const pending = socket && activeChannelId !== null ? socket.pending(activeChannelId) : [];
  const messages: ShownMessage[] = [];
  if (active && activeChannelId !== null) {
    const stored = [...active.messages.values()].sort((a, b) => a.seq - b.seq).map(shown);
    const acknowledged = new Set(stored.map((m) => m.clientMsgId).filter(Boolean));
    const waiting = pending
      .filter((p) => !acknowledged.has(p.clientMsgId))
      .map((p) => pendingMessage(p.clientMsgId, activeChannelId, userId ?? 0, p.content, p.createdAt));
    messages.push(...stored, ...waiting, ...failed.filter((f) => f.channelId === activeChannelId));
  }

  const unread: Record<number, number> = {};
  for (const [channelId, v] of views.current) unread[channelId] = channelId === activeChannelId ? 0 : v.unread;

  return {
    status,
    isConnected: status === 'connected',
    connectedUserId: userId,
    messages,
    typingUsers: active ? [...active.typing].map(([id, username]): PersonRef => ({ userId: id, username })) : [],
    onlineUsers: active ? [...active.online].map(([id, username]): PersonRef => ({ userId: id, username })) : [],
    /** message id -> users whose latest read receipt is that message */
    readReceipts: active ? new Map([...active.reads].map(([id, readers]) => [id, [...readers]])) : new Map<number, number[]>(),
    unread,
    hasOlder: active?.hasOlder ?? false,
    loadOlder,
    join: useCallback((channelId: number) => socket && void loadLatest(channelId, socket, false), [socket, loadLatest]),
    leave: useCallback((channelId: number) => socket?.leave(channelId), [socket]),
    sendMessage: useCallback(
      (channelId: number, content: string, sendOptions?: SendOptions) => socket?.sendMessage(channelId, content, sendOptions) ?? null,
      [socket],
    ),
    sendTyping: useCallback((channelId: number) => socket?.typing(channelId) ?? false, [socket]),
    stopTyping: useCallback((channelId: number) => socket?.stopTyping(channelId) ?? false, [socket]),
    markRead: useCallback((channelId: number, messageId: number) => socket?.markRead(channelId, messageId) ?? false, [socket]),
    reconnectNow: useCallback(() => socket?.reconnectNow(), [socket]),
  };
}

function shown(message: ChatServer.ChannelMessage): ShownMessage {
  return {
    key: `m${message.id}`,
    id: message.id,
    seq: message.seq,
    channelId: message.channelId,
    authorId: message.authorId,
    content: message.content,
    createdAt: message.createdAt,
    editedAt: message.editedAt ?? null,
    deleted: message.deleted ?? false,
    replyTo: message.replyTo ?? null,
    clientMsgId: message.clientMsgId ?? null,
    state: 'acknowledged',
  };
}

function pendingMessage(clientMsgId: string, channelId: number, authorId: number, content: string, at: number): ShownMessage {
  return {
    key: `p${clientMsgId}`, id: null, seq: null, channelId, authorId, content,
    createdAt: new Date(at).toISOString(), deleted: false, clientMsgId, state: 'pending',
  };
}

function failedMessage(clientMsgId: string, channelId: number, authorId: number, content: string): ShownMessage {
  return { ...pendingMessage(clientMsgId, channelId, authorId, content, Date.now()), key: `f${clientMsgId}`, state: 'failed' };
}
