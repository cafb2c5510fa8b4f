/** The open channel and the open direct conversation: the list of messages (each shown
 * as text, with its delivery state and who read it), paging upward, typing, who is
 * online, and the composer. */

import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Auth, Chat } from '@parley/client';
import type { DeliveryState, useChat, useMessagePal } from '@parley/react';

type ChatApi = ReturnType<typeof useChat>;
type PalApi = ReturnType<typeof useMessagePal>;
type NameOf = (id: number) => string;

const TYPING_EVERY_MS = 2000;
const TYPING_IDLE_MS = 3000;

export function ChannelView({ channel, chat, me, nameOf }: { channel: Chat.Channel; chat: ChatApi; me: Auth.User; nameOf: NameOf }) {
  const { markRead, stopTyping, sendTyping, sendMessage } = chat;
  const latestFromOthers = [...chat.messages].reverse().find((m) => m.id !== null && m.authorId !== me.id);
  const latestId = latestFromOthers?.id ?? null;

  useEffect(() => {
    if (latestId !== null && chat.isConnected) markRead(channel.id, latestId);
  }, [channel.id, latestId, chat.isConnected, markRead]);

  const readersOf = (messageId: number | null): string[] =>
    messageId === null ? [] : (chat.readReceipts.get(messageId) ?? []).filter((id) => id !== me.id).map(nameOf);

  return (
    <section className="conversation" aria-label={`#${channel.name}`}>
      <h2>#{channel.name}</h2>
      <p className="online">Online: {chat.onlineUsers.map((u) => u.username).join(', ') || 'nobody'}</p>
      {chat.hasOlder && (
        <button type="button" className="older" onClick={() => void chat.loadOlder()}>
          Load older messages
        </button>
      )}
      <MessageList>
        {chat.messages.map((m) => (
          <MessageItem
            key={m.key}
            author={m.authorId === me.id ? me.username : nameOf(m.authorId)}
            content={m.deleted ? '(deleted)' : m.content}
            state={m.state}
            edited={Boolean(m.editedAt)}
            readers={readersOf(m.id)}
          />
        ))}
      </MessageList>
      <Typing names={chat.typingUsers.map((u) => u.username)} />
      <Composer
        onTyping={() => sendTyping(channel.id)}
        onIdle={() => stopTyping(channel.id)}
        onSend={(text) => {
          sendMessage(channel.id, text, { mentions: mentionsIn(text) });
          stopTyping(channel.id);
        }}
      />
    </section>
  );
}

export function DirectView({ otherUserId, pal, me, nameOf }: { otherUserId: number; pal: PalApi; me: Auth.User; nameOf: NameOf }) {
  const { markMessageAsRead, sendTyping, sendMessage } = pal;
  const unreadToMe = pal.messages.filter((m) => m.id !== null && m.recipientId === me.id && !m.readAt);
  const latestUnread = unreadToMe[unreadToMe.length - 1]?.id ?? null;

  useEffect(() => {
    if (latestUnread !== null && pal.isConnected) markMessageAsRead(latestUnread);
  }, [latestUnread, pal.isConnected, markMessageAsRead]);

  const name = nameOf(otherUserId);
  return (
    <section className="conversation" aria-label={`@${name}`}>
      <h2>@{name}</h2>
      <MessageList>
        {pal.messages.map((m) => (
          <MessageItem
            key={m.key}
            author={m.senderId === me.id ? me.username : nameOf(m.senderId)}
            content={m.content}
            state={m.state}
            edited={false}
            readers={m.senderId === me.id && m.readAt ? [name] : []}
          />
        ))}
      </MessageList>
      <Typing names={pal.typingUsers.has(otherUserId) ? [name] : []} />
      <Composer onTyping={() => sendTyping(otherUserId)} onIdle={() => undefined} onSend={(text) => sendMessage(otherUserId, text)} />
    </section>
  );
}

function MessageList({ children }: { children: React.ReactNode }) {
  const end = useRef<HTMLLIElement>(null);
  const count = Array.isArray(children) ? children.length : 0;
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [count]);
  return (
    <ul className="messages" aria-label="Messages">
      {children}
      <li ref={end} aria-hidden="true" className="end" />
    </ul>
  );
}

function MessageItem(props: { author: string; content: string; state: DeliveryState; edited: boolean; readers: string[] }) {
  return (
    <li className={`message ${props.state}`} data-state={props.state}>
      <span className="author">{props.author}</span> <span className="text">{props.content}</span>
      {props.edited && <span className="meta"> (edited)</span>}
      {props.state === 'pending' && <span className="meta"> Sending…</span>}
      {props.state === 'failed' && <span className="meta"> Not sent</span>}
      {props.readers.length > 0 && <span className="meta"> Read by {props.readers.join(', ')}</span>}
    </li>
  );
}

function Typing({ names }: { names: string[] }) {
  return (
    <p className="typing" aria-live="polite">
      {names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`}
    </p>
  );
}

function Composer({ onTyping, onIdle, onSend }: { onTyping: () => void; onIdle: () => void; onSend: (text: string) => void }) {
  const [text, setText] = useState('');
  const lastTyping = useRef(0);
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => {
    if (idle.current) clearTimeout(idle.current);
  }, []);

  const change = (value: string) => {
    setText(value);
    const now = Date.now();
    if (now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
    if (idle.current) clearTimeout(idle.current);
    idle.current = setTimeout(() => {
      lastTyping.current = 0;
      onIdle();
    }, TYPING_IDLE_MS);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const content = text.trim();
    if (!content) return;
    onSend(content);
    setText('');
    lastTyping.current = 0;
    if (idle.current) clearTimeout(idle.current);
  };

  return (
    <form className="composer" aria-label="Compose" onSubmit={submit}>
      <input aria-label="Message" value={text} onChange={(e) => change(e.target.value)} maxLength={4000} autoComplete="off" />
      <button type="submit">Send</button>
    </form>
  );
}

/** `@name` words, for the server to resolve (names that are nobody are dropped there). */
function mentionsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/(?:^|\s)@([A-Za-z0-9_.-]{1,64})/g)].map((m) => m[1] ?? ''))].filter(Boolean).slice(0, 20);
}
