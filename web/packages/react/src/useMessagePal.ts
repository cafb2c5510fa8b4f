/** `useMessagePal`: the seed's `useMessagePalWebSocket` on @parley/client. The inbox comes
 * from HTTP and is kept live by the socket; the active conversation's history is loaded and
 * then resumed from its last seq; messages carry their pending or acknowledged state. */

import { useCallback, useEffect, useRef, useState } from 'react';
import {
  type ConnectionStatus,
  type Dm,
  MessagePalSocket,
  type MessagePalServer,
  type ParleyHttp,
  type SocketOptions,
  conversationIdOf,
} from '@parley/client';

import type { DeliveryState } from './useChat.js';

export interface ShownDirectMessage {
  key: string;
  id: number | null;
  seq: number | null;
  conversationId: string;
  senderId: number;
  recipientId: number;
  content: string;
  createdAt: string;
  readAt: string | null;
  clientMsgId: string | null;
  state: DeliveryState;
}

export interface UseMessagePalOptions {
  http: ParleyHttp;
  enabled: boolean;
  onEvent?: (frame: MessagePalServer.MessagePalServerFrame) => void;
  socketOptions?: SocketOptions;
  pageSize?: number;
}

const TYPING_EXPIRES_MS = 3000;

export function useMessagePal(options: UseMessagePalOptions) {
  const { http, enabled, pageSize = 50 } = options;
  const [socket, setSocket] = useState<MessagePalSocket | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>('idle');
  const [userId, setUserId] = useState<number | null>(null);
  const [conversations, setConversations] = useState<Dm.InboxEntry[]>([]);
  const [activeConversation, setActiveConversation] = useState<string | null>(null);
  const [typingUsers, setTypingUsers] = useState<Set<number>>(new Set());
  const [failed, setFailed] = useState<ShownDirectMessage[]>([]);
  const [, setVersion] = useState(0);
  const store = useRef(new Map<string, Map<number, Dm.DirectMessage>>());
  const activeRef = useRef(activeConversation);
  const onEventRef = useRef(options.onEvent);
  const socketOptions = useRef(options.socketOptions);
  activeRef.current = activeConversation;
  onEventRef.current = options.onEvent;
  const bump = useCallback(() => setVersion((v) => v + 1), []);

  const refreshInbox = useCallback(async () => {
    try {
      setConversations(await http.conversations());
    } catch {
      // kept as it was; the next reconnect or message refreshes it
    }
  }, [http]);

  const messagesOf = (conversationId: string): Map<number, Dm.DirectMessage> => {
    let found = store.current.get(conversationId);
    if (!found) store.current.set(conversationId, (found = new Map()));
    return found;
  };

  useEffect(() => {
    if (!enabled) return undefined;
    const created = new MessagePalSocket(socketOptions.current ?? {});
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    const stops = [
      created.on('status', (next) => {
        setStatus(next);
        if (next === 'connected') {
          setUserId(created.userId);
          void refreshInbox();
        }
      }),
      created.on('frame', (frame) => {
        apply(frame);
        onEventRef.current?.(frame);
      }),
      created.on('outbox', () => bump()),
      created.on('failed', (send) => {
        const me = created.userId ?? 0;
        setFailed((list) => [
          ...list,
          {
            key: `f${send.clientMsgId}`, id: null, seq: null, conversationId: conversationIdOf(me, send.target),
            senderId: me, recipientId: send.target, content: send.content, createdAt: new Date().toISOString(),
            readAt: null, clientMsgId: send.clientMsgId, state: 'failed',
          },
        ]);
      }),
      created.on('reload', ({ conversationId }) => {
        store.current.delete(conversationId);
        void load(conversationId, created, true);
      }),
    ];

    function apply(frame: MessagePalServer.MessagePalServerFrame): void {
      switch (frame.type) {
        case 'message_received': {
          const message = frame.payload;
          messagesOf(message.conversationId).set(message.id, message);
          stopTyping(message.senderId);
          setConversations((list) => updateInbox(list, message, created.userId, activeRef.current));
          break;
        }
        case 'message_read': {
          const found = messagesOf(frame.payload.conversationId);
          for (const [id, message] of found) {
            if (id <= frame.payload.messageId && message.recipientId === frame.payload.readBy && !message.readAt) {
              found.set(id, { ...message, readAt: frame.payload.readAt });
            }
          }
          break;
        }
        case 'history_response': {
          const found = messagesOf(frame.payload.conversationId);
          for (const message of frame.payload.messages) found.set(message.id, message);
          break;
        }
        case 'user_typing': {
          const typist = frame.payload.userId;
          setTypingUsers((set) => new Set(set).add(typist));
          const previous = timers.get(typist);
          if (previous) clearTimeout(previous);
          timers.set(typist, setTimeout(() => stopTyping(typist), TYPING_EXPIRES_MS));
          return;
        }
        default:
          return;
      }
      bump();
    }

    function stopTyping(typist: number): void {
      const timer = timers.get(typist);
      if (timer) clearTimeout(timer);
      timers.delete(typist);
      setTypingUsers((set) => {
        if (!set.has(typist)) return set;
        const next = new Set(set);
        next.delete(typist);
        return next;
      });
    }

    setSocket(created);
    created.start();
    return () => {
      for (const stop of stops) stop();
      for (const timer of timers.values()) clearTimeout(timer);
      created.close();
      store.current.clear();
      setSocket(null);
      setStatus('idle');
    };
    // Only `enabled` makes a new socket: the rest is read through refs.
  }, [enabled]);

  /** The newest page over HTTP, then a subscription from its last seq. */
  const load = useCallback(
    async (conversationId: string, on: MessagePalSocket, reload: boolean) => {
      try {
        const page = await http.conversationMessages(conversationId, { limit: pageSize });
        const found = messagesOf(conversationId);
        for (const message of page) found.set(message.id, message);
        on.subscribe(conversationId, page.reduce((max, m) => Math.max(max, m.seq), 0));
      } catch {
        if (!reload) on.subscribe(conversationId);
      }
      bump();
    },
    [http, pageSize, bump],
  );

  const subscribeToConversation = useCallback(
    (conversationId: string) => {
      setActiveConversation(conversationId);
      if (socket) void load(conversationId, socket, false);
    },
    [socket, load],
  );

  const unsubscribeFromConversation = useCallback(
    (conversationId: string) => {
      socket?.unsubscribe(conversationId);
      if (activeRef.current === conversationId) setActiveConversation(null);
    },
    [socket],
  );

  const stored = activeConversation ? [...(store.current.get(activeConversation)?.values() ?? [])] : [];
  const messages: ShownDirectMessage[] = stored.sort((a, b) => a.seq - b.seq).map((m) => ({
    key: `m${m.id}`, id: m.id, seq: m.seq, conversationId: m.conversationId, senderId: m.senderId,
    recipientId: m.recipientId, content: m.content, createdAt: m.createdAt, readAt: m.readAt ?? null,
    clientMsgId: m.clientMsgId ?? null, state: 'acknowledged',
  }));
  if (activeConversation && socket && userId !== null) {
    const acknowledged = new Set(messages.map((m) => m.clientMsgId));
    for (const p of socket.pending()) {
      if (conversationIdOf(userId, p.target) !== activeConversation || acknowledged.has(p.clientMsgId)) continue;
      messages.push({
        key: `p${p.clientMsgId}`, id: null, seq: null, conversationId: activeConversation, senderId: userId,
        recipientId: p.target, content: p.content, createdAt: new Date(p.createdAt).toISOString(), readAt: null,
        clientMsgId: p.clientMsgId, state: 'pending',
      });
    }
  }
  messages.push(...failed.filter((f) => f.conversationId === activeConversation));

  return {
    status,
    isConnected: status === 'connected',
    connectedUserId: userId,
    conversations,
    activeConversation,
    setActiveConversation,
    messages,
    typingUsers,
    refreshInbox,
    sendMessage: useCallback((recipientId: number, content: string) => socket?.sendMessage(recipientId, content) ?? null, [socket]),
    sendTyping: useCallback((recipientId: number) => socket?.typing(recipientId) ?? false, [socket]),
    markMessageAsRead: useCallback((messageId: number) => socket?.markRead(messageId) ?? false, [socket]),
    fetchConversationHistory: useCallback(
      (conversationId: string, before?: number) => socket?.fetchHistory(conversationId, before, pageSize) ?? false,
      [socket, pageSize],
    ),
    subscribeToConversation,
    unsubscribeFromConversation,
  };
}

function updateInbox(list: Dm.InboxEntry[], message: Dm.DirectMessage, me: number | null, active: string | null): Dm.InboxEntry[] {
  const other = message.senderId === me ? message.recipientId : message.senderId;
  const unreadDelta = message.senderId !== me && message.conversationId !== active ? 1 : 0;
  const existing = list.find((entry) => entry.conversationId === message.conversationId);
  const entry: Dm.InboxEntry = existing
    ? { ...existing, lastMessage: message, unread: existing.unread + unreadDelta }
    : { conversationId: message.conversationId, otherUserId: other, lastMessage: message, unread: unreadDelta };
  return [entry, ...list.filter((e) => e.conversationId !== message.conversationId)];
}
