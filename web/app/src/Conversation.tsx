/** The open channel and the open direct conversation: the list of messages (each shown
 * as text, with its delivery state and who read it), paging upward, typing, who is
 * online, and the composer. */

import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import type { Auth, Chat, ChatServer } from '@parley/client';
import type { DeliveryState, ShownMessage, useChat, useMessagePal } from '@parley/react';

type ChatApi = ReturnType<typeof useChat>;
type PalApi = ReturnType<typeof useMessagePal>;
type NameOf = (id: number) => string;

const TYPING_EVERY_MS = 2000;
const TYPING_IDLE_MS = 3000;
/** The one-click reaction; any emoji others used shows as its own toggle. */
const QUICK_EMOJI = '👍';

export function ChannelView({ channel, chat, me, nameOf }: { channel: Chat.Channel; chat: ChatApi; me: Auth.User; nameOf: NameOf }) {
  const { markRead, stopTyping, sendTyping, sendMessage, addReaction, removeReaction } = chat;
  const [replyTo, setReplyTo] = useState<ShownMessage | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const byId = new Map(chat.messages.flatMap((m) => (m.id === null ? [] : [[m.id, m] as const])));
  const authorOf = (m: ShownMessage) => (m.authorId === me.id ? me.username : nameOf(m.authorId));
  const toggle = (m: ShownMessage, emoji: string) => {
    if (m.id === null) return;
    if (m.reactions.some((r) => r.emoji === emoji && r.reacted)) removeReaction(m.id, emoji);
    else addReaction(m.id, emoji);
  };
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
        {chat.messages.map((m) => {
          const parent = m.replyTo === null ? undefined : byId.get(m.replyTo);
          const live = m.id !== null && !m.deleted && chat.isConnected;
          const id = m.id;
          return (
            <MessageItem
              key={m.key}
              author={authorOf(m)}
              content={m.deleted ? '(deleted)' : m.content}
              state={m.state}
              edited={Boolean(m.editedAt) && !m.deleted}
              readers={readersOf(m.id)}
            >
              {m.replyTo !== null && (
                <span className="quote">
                  {' '}
                  ↪ reply to {parent ? `${authorOf(parent)}: ${parent.deleted ? '(deleted)' : snippet(parent.content)}` : 'an earlier message'}
                </span>
              )}
              {m.replyCount > 0 && <span className="meta"> {m.replyCount === 1 ? '1 reply' : `${m.replyCount} replies`}</span>}
              {!m.deleted && <Reactions reactions={m.reactions} disabled={!live} onToggle={(emoji) => toggle(m, emoji)} />}
              {id !== null && editing === id ? (
                <EditForm initial={m.content} onSave={(content) => chat.editMessage(id, content)} onClose={() => setEditing(null)} />
              ) : (
                id !== null &&
                !m.deleted && (
                  <span className="actions">
                    <button type="button" disabled={!live} onClick={() => setReplyTo(m)}>
                      Reply
                    </button>
                    {!m.reactions.some((r) => r.emoji === QUICK_EMOJI && r.reacted) && (
                      <button type="button" disabled={!live} onClick={() => toggle(m, QUICK_EMOJI)}>
                        React {QUICK_EMOJI}
                      </button>
                    )}
                    {m.authorId === me.id && (
                      <OwnActions disabled={!live} onEdit={() => setEditing(id)} onDelete={() => chat.deleteMessage(id)} />
                    )}
                  </span>
                )
              )}
            </MessageItem>
          );
        })}
      </MessageList>
      <Typing names={chat.typingUsers.map((u) => u.username)} />
      {replyTo && (
        <p className="replying">
          Replying to {authorOf(replyTo)}: {snippet(replyTo.content)}{' '}
          <button type="button" onClick={() => setReplyTo(null)}>
            Cancel reply
          </button>
        </p>
      )}
      <Composer
        onTyping={() => sendTyping(channel.id)}
        onIdle={() => stopTyping(channel.id)}
        onSend={(text) => {
          const options = { mentions: mentionsIn(text), ...(replyTo?.id != null && { replyTo: replyTo.id }) };
          sendMessage(channel.id, text, options);
          setReplyTo(null);
          stopTyping(channel.id);
        }}
      />
    </section>
  );
}

export function DirectView({ otherUserId, pal, me, nameOf }: { otherUserId: number; pal: PalApi; me: Auth.User; nameOf: NameOf }) {
  const { markMessageAsRead, sendTyping, sendMessage } = pal;
  const [editing, setEditing] = useState<number | null>(null);
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
        {pal.messages.map((m) => {
          const id = m.id;
          const mine = id !== null && m.senderId === me.id && !m.deleted;
          return (
            <MessageItem
              key={m.key}
              author={m.senderId === me.id ? me.username : nameOf(m.senderId)}
              content={m.deleted ? '(deleted)' : m.content}
              state={m.state}
              edited={Boolean(m.editedAt) && !m.deleted}
              readers={m.senderId === me.id && m.readAt ? [name] : []}
            >
              {mine && editing === id && (
                <EditForm initial={m.content} onSave={(content) => pal.editMessage(id, content)} onClose={() => setEditing(null)} />
              )}
              {mine && editing !== id && (
                <span className="actions">
                  <OwnActions disabled={!pal.isConnected} onEdit={() => setEditing(id)} onDelete={() => pal.deleteMessage(id)} />
                </span>
              )}
            </MessageItem>
          );
        })}
      </MessageList>
      <Typing names={pal.typingUsers.has(otherUserId) ? [name] : []} />
      <Composer onTyping={() => sendTyping(otherUserId)} onIdle={() => undefined} onSend={(text) => sendMessage(otherUserId, text)} />
    </section>
  );
}

function MessageList({ children }: { children: ReactNode }) {
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

function MessageItem(props: {
  author: string;
  content: string;
  state: DeliveryState;
  edited: boolean;
  readers: string[];
  children?: ReactNode;
}) {
  return (
    <li className={`message ${props.state}`} data-state={props.state}>
      <span className="author">{props.author}</span> <span className="text">{props.content}</span>
      {props.edited && <span className="meta"> (edited)</span>}
      {props.state === 'pending' && <span className="meta"> Sending…</span>}
      {props.state === 'failed' && <span className="meta"> Not sent</span>}
      {props.readers.length > 0 && <span className="meta"> Read by {props.readers.join(', ')}</span>}
      {props.children}
    </li>
  );
}

/** Each emoji with its count, pressed when the reader is among those who used it; a click
 * adds or takes back the reader's own. */
function Reactions({ reactions, disabled, onToggle }: { reactions: readonly ChatServer.Reaction[]; disabled: boolean; onToggle: (emoji: string) => void }) {
  if (reactions.length === 0) return null;
  return (
    <span className="reactions">
      {reactions.map((r) => (
        <button key={r.emoji} type="button" aria-pressed={Boolean(r.reacted)} disabled={disabled} onClick={() => onToggle(r.emoji)}>
          {r.emoji} {r.count}
        </button>
      ))}
    </span>
  );
}

/** Edit and Delete, for one's own messages. */
function OwnActions({ disabled, onEdit, onDelete }: { disabled: boolean; onEdit: () => void; onDelete: () => void }) {
  return (
    <>
      <button type="button" disabled={disabled} onClick={onEdit}>
        Edit
      </button>
      <button type="button" disabled={disabled} onClick={onDelete}>
        Delete
      </button>
    </>
  );
}

/** A message's text in a box: Save sends it when it changed; either button closes the form. */
function EditForm({ initial, onSave, onClose }: { initial: string; onSave: (content: string) => void; onClose: () => void }) {
  const [text, setText] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const content = text.trim();
    if (!content) return;
    if (content !== initial) onSave(content);
    onClose();
  };
  return (
    <form className="edit" aria-label="Edit message" onSubmit={submit}>
      <input aria-label="Edited message" value={text} onChange={(e) => setText(e.target.value)} maxLength={4000} autoFocus />
      <button type="submit">Save</button>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
    </form>
  );
}

function snippet(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
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
