/** The signed-in screen: workspaces, channels with unread badges, direct messages, and the
 * open channel or conversation. Both sockets' state shows in one status line. */

import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type Auth, type Chat, type ParleyHttp, ParleyHttpError, conversationIdOf } from '@parley/client';
import { useChat, useMessagePal } from '@parley/react';

import { ChannelView, DirectView } from './Conversation.js';
import { useUsernames } from './useUsernames.js';

type View = { kind: 'channel'; id: number } | { kind: 'dm'; otherUserId: number } | null;

const REFRESH_MS = 10_000;

export function ChatScreen({ http, user, onLogOut }: { http: ParleyHttp; user: Auth.User; onLogOut: () => void }) {
  const [workspaces, setWorkspaces] = useState<Chat.Workspace[]>([]);
  const [workspaceId, setWorkspaceId] = useState<number | null>(null);
  const [channels, setChannels] = useState<Chat.Channel[]>([]);
  const [view, setView] = useState<View>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const activeChannelId = view?.kind === 'channel' ? view.id : null;
  const chat = useChat({ http, enabled: true, channelIds: channels.map((c) => c.id), activeChannelId });
  const pal = useMessagePal({ http, enabled: true });
  const connected = chat.isConnected && pal.isConnected;

  const report = useCallback((caught: unknown) => {
    setNotice(caught instanceof ParleyHttpError ? caught.message : String(caught));
  }, []);
  // The sockets' refusals (a reaction or edit over the rate limit) show until dismissed, as HTTP's do.
  const [dismissed, setDismissed] = useState<readonly object[]>([]);
  const refusals = [chat.refusal, pal.refusal].filter((r) => r !== null);
  const refusal = refusals.find((r) => !dismissed.includes(r));
  const shown = notice ?? refusal?.message ?? null;

  const refreshWorkspaces = useCallback(
    () =>
      http.workspaces().then(
        (found) => {
          setWorkspaces(found);
          setWorkspaceId((current) => current ?? found[0]?.id ?? null);
        },
        () => undefined, // kept as it was; tried again on the next round
      ),
    [http],
  );

  // Others create workspaces and channels too: look again now and then, and whenever
  // the line comes back.
  useEffect(() => {
    void refreshWorkspaces();
    const timer = setInterval(() => void refreshWorkspaces(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refreshWorkspaces, connected]);
  useEffect(() => {
    if (workspaceId === null) return undefined;
    const refresh = () =>
      http.channels(workspaceId).then(
        (found) => {
          setChannels((current) => (sameIds(current, found) ? current : found));
          setView((current) => current ?? (found[0] ? { kind: 'channel', id: found[0].id } : null));
        },
        () => undefined,
      );
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [http, workspaceId, connected]);

  const activeDm = view?.kind === 'dm' ? conversationIdOf(user.id, view.otherUserId) : null;
  const { subscribeToConversation } = pal;
  useEffect(() => {
    if (activeDm && pal.isConnected) subscribeToConversation(activeDm);
  }, [activeDm, pal.isConnected, subscribeToConversation]);

  const nameOf = useUsernames(http, [
    ...pal.conversations.map((c) => c.otherUserId),
    ...chat.messages.map((m) => m.authorId),
    ...(view?.kind === 'dm' ? [view.otherUserId] : []),
  ]);

  const createWorkspace = async (name: string) => {
    try {
      const created = await http.createWorkspace({ name });
      await refreshWorkspaces();
      setWorkspaceId(created.id);
      setChannels([]);
      setView(null);
    } catch (caught) {
      report(caught);
    }
  };

  const addMember = async (username: string) => {
    if (workspaceId === null) return;
    try {
      const found = await http.userByUsername(username);
      await http.addMember(workspaceId, { userId: found.id });
      setNotice(`${found.username} was added`);
    } catch (caught) {
      report(caught);
    }
  };

  const createChannel = async (name: string) => {
    if (workspaceId === null) return;
    try {
      const created = await http.createChannel(workspaceId, { name });
      setChannels((current) => [...current, created]);
      setView({ kind: 'channel', id: created.id });
    } catch (caught) {
      report(caught);
    }
  };

  const startDirect = async (username: string) => {
    try {
      const found = await http.userByUsername(username);
      setView({ kind: 'dm', otherUserId: found.id });
    } catch (caught) {
      report(caught);
    }
  };

  const channel = channels.find((c) => c.id === activeChannelId) ?? null;

  return (
    <div className="app">
      <header>
        <strong>Parley</strong>
        <span role="status" className={connected ? 'line-up' : 'line-down'}>
          {connected ? 'Connected' : 'Reconnecting…'}
        </span>
        <span className="me">Signed in as {user.username}</span>
        <button type="button" onClick={onLogOut}>
          Log out
        </button>
      </header>
      <aside>
        <label>
          Workspace
          <select
            value={workspaceId ?? ''}
            onChange={(e) => {
              setWorkspaceId(Number(e.target.value));
              setChannels([]);
              setView(null);
            }}
          >
            {workspaces.length === 0 && <option value="">(none yet)</option>}
            {workspaces.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <OneField label="Workspace name" button="Create workspace" onSubmit={createWorkspace} />
        {workspaceId !== null && <OneField label="Username to add" button="Add member" onSubmit={addMember} />}
        <nav aria-label="Channels">
          <ul>
            {channels.map((c) => (
              <li key={c.id}>
                <a
                  href={`#channel-${c.id}`}
                  aria-current={c.id === activeChannelId ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    setView({ kind: 'channel', id: c.id });
                  }}
                >
                  #{c.name}
                </a>
                <Badge count={chat.unread[c.id] ?? 0} />
              </li>
            ))}
          </ul>
        </nav>
        {workspaceId !== null && <OneField label="Channel name" button="Create channel" onSubmit={createChannel} />}
        <nav aria-label="Direct messages">
          <ul>
            {pal.conversations.map((c) => (
              <li key={c.conversationId}>
                <a
                  href={`#dm-${c.otherUserId}`}
                  aria-current={c.conversationId === activeDm ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    setView({ kind: 'dm', otherUserId: c.otherUserId });
                  }}
                >
                  @{nameOf(c.otherUserId)}
                </a>
                <Badge count={c.conversationId === activeDm ? 0 : c.unread} />
              </li>
            ))}
          </ul>
        </nav>
        <OneField label="Username to message" button="Start conversation" onSubmit={startDirect} />
        {shown && (
          <p
            className="notice"
            role="alert"
            onClick={() => {
              setNotice(null);
              setDismissed(refusals);
            }}
          >
            {shown}
          </p>
        )}
      </aside>
      <main>
        {view?.kind === 'channel' && channel && <ChannelView channel={channel} chat={chat} me={user} nameOf={nameOf} />}
        {view?.kind === 'dm' && <DirectView otherUserId={view.otherUserId} pal={pal} me={user} nameOf={nameOf} />}
        {!view && <p className="empty">{workspaces.length ? 'Create or pick a channel.' : 'Create a workspace to begin.'}</p>}
      </main>
    </div>
  );
}

function Badge({ count }: { count: number }) {
  if (!count) return null;
  return (
    <span className="badge">
      {count}
      <span className="sr-only"> unread</span>
    </span>
  );
}

/** A one-field form: a labelled text box and its button. */
function OneField({ label, button, onSubmit }: { label: string; button: string; onSubmit: (value: string) => Promise<void> }) {
  const [value, setValue] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = value.trim();
    if (!trimmed) return;
    await onSubmit(trimmed);
    setValue('');
  };
  return (
    <form className="one-field" aria-label={button} onSubmit={(e) => void submit(e)}>
      <input aria-label={label} placeholder={label} value={value} onChange={(e) => setValue(e.target.value)} />
      <button type="submit">{button}</button>
    </form>
  );
}

function sameIds(a: Chat.Channel[], b: Chat.Channel[]): boolean {
  return a.length === b.length && a.every((c, i) => c.id === b[i]?.id && c.name === b[i]?.name);
}
