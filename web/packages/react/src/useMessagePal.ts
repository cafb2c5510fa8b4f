/** `useMessagePal`: the seed's `useMessagePalWebSocket` on @parley/client. The inbox comes
 * from HTTP and is kept live by the socket; an opened conversation's history is loaded and
 * then resumed from its last seq; messages carry their pending or acknowledged state. */

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  type Dm,
  MessagePalSocket,
  type MessagePalServer,
  type ParleyHttp,
  type SocketOptions,
  conversationIdOf,
} from '@parley/client';

import type { DeliveryState } from './chatStore.js';
import { type MessagePalSnapshot, MessagePalStore } from './messagePalStore.js';
import { useStore } from './snapshotStore.js';

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
  editedAt: string | null;
  deleted: boolean;
  clientMsgId: string | null;
  state: DeliveryState;
}

export interface UseMessagePalOptions {
  http: ParleyHttp;
  enabled: boolean;
  onEvent?: (frame: MessagePalServer.MessagePalServerFrame) => void;
  /** Read when the socket is made. */
  socketOptions?: SocketOptions;
  pageSize?: number;
}

const IDLE: MessagePalSnapshot = {
  status: 'idle', userId: null, conversations: [], messages: new Map(), typing: new Set(), pending: [], failed: [], refusal: null,
};

export function useMessagePal(options: UseMessagePalOptions) {
  const { http, enabled, onEvent, pageSize = 50 } = options;
  const socketOptions = useRef(options.socketOptions);
  const [activeConversation, setActiveConversation] = useState<string | null>(null);
  const make = useCallback(
    () => new MessagePalStore(new MessagePalSocket(socketOptions.current ?? {}), http, { pageSize }),
    [http, pageSize],
  );
  const [store, snapshot] = useStore(enabled, make, IDLE);

  useEffect(() => {
    if (!store || !onEvent) return undefined;
    return store.socket.on('frame', onEvent);
  }, [store, onEvent]);

  const messages = useMemo(
    () => (activeConversation ? shownDirectMessages(snapshot, activeConversation) : []),
    [snapshot, activeConversation],
  );

  return {
    status: snapshot.status,
    isConnected: snapshot.status === 'connected',
    connectedUserId: snapshot.userId,
    conversations: snapshot.conversations,
    activeConversation,
    setActiveConversation,
    messages,
    typingUsers: snapshot.typing,
    refusal: snapshot.refusal,
    refreshInbox: useCallback(async () => store?.refreshInbox(), [store]),
    sendMessage: useCallback((recipientId: number, content: string) => store?.socket.sendMessage(recipientId, content) ?? null, [store]),
    sendTyping: useCallback((recipientId: number) => store?.socket.typing(recipientId) ?? false, [store]),
    markMessageAsRead: useCallback((messageId: number) => store?.socket.markRead(messageId) ?? false, [store]),
    /** One's own DMs: false when the line is down (nothing is sent). */
    editMessage: useCallback((messageId: number, content: string) => store?.socket.editMessage(messageId, content) ?? false, [store]),
    deleteMessage: useCallback((messageId: number) => store?.socket.deleteMessage(messageId) ?? false, [store]),
    fetchConversationHistory: useCallback(
      (conversationId: string, before?: number) => store?.socket.fetchHistory(conversationId, before, pageSize) ?? false,
      [store, pageSize],
    ),
    /** Opens a conversation: history, then live and resumed after reconnects. */
    subscribeToConversation: useCallback(
      (conversationId: string) => {
        setActiveConversation(conversationId);
        void store?.open(conversationId);
      },
      [store],
    ),
    unsubscribeFromConversation: useCallback(
      (conversationId: string) => {
        store?.close(conversationId);
        setActiveConversation((current) => (current === conversationId ? null : current));
      },
      [store],
    ),
  };
}

/** Stored messages, then the outbox's sends not yet among them, then the refused ones. */
export function shownDirectMessages(snapshot: MessagePalSnapshot, conversationId: string): ShownDirectMessage[] {
  const me = snapshot.userId ?? 0;
  const shown: ShownDirectMessage[] = (snapshot.messages.get(conversationId) ?? []).map((m: Dm.DirectMessage) => ({
    key: `m${m.id}`, id: m.id, seq: m.seq, conversationId: m.conversationId, senderId: m.senderId,
    recipientId: m.recipientId, content: m.content, createdAt: m.createdAt, readAt: m.readAt ?? null,
    editedAt: m.editedAt ?? null, deleted: m.deleted ?? false, clientMsgId: m.clientMsgId ?? null, state: 'acknowledged',
  }));
  const held = new Set(shown.map((m) => m.clientMsgId));
  for (const p of snapshot.pending) {
    if (conversationIdOf(me, p.target) !== conversationId || held.has(p.clientMsgId)) continue;
    shown.push({
      key: `p${p.clientMsgId}`, id: null, seq: null, conversationId, senderId: me, recipientId: p.target,
      content: p.content, createdAt: new Date(p.createdAt).toISOString(), readAt: null, editedAt: null, deleted: false,
      clientMsgId: p.clientMsgId, state: 'pending',
    });
  }
  for (const f of snapshot.failed) {
    if (conversationIdOf(me, f.channelId) !== conversationId) continue;
    shown.push({
      key: `f${f.clientMsgId}`, id: null, seq: null, conversationId, senderId: me, recipientId: f.channelId,
      content: f.content, createdAt: '', readAt: null, editedAt: null, deleted: false, clientMsgId: f.clientMsgId,
      state: 'failed',
    });
  }
  return shown;
}
