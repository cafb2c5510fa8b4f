/** The chat web app: log in or register, then workspaces, channels and direct messages.
 * Every message's text is rendered as text (React escapes it): markup never runs. */

import { useCallback, useEffect, useState } from 'react';
import { type Auth, ParleyHttp, ParleyHttpError } from '@parley/client';

import { ChatScreen } from './ChatScreen.js';

const http = new ParleyHttp();

export function App() {
  const [user, setUser] = useState<Auth.User | null | undefined>(undefined);

  useEffect(() => {
    http.me().then(setUser, () => setUser(null));
  }, []);

  const logOut = useCallback(async () => {
    try {
      await http.logout();
    } finally {
      setUser(null);
    }
  }, []);

  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null) return <LoginForm onSignedIn={setUser} />;
  return <ChatScreen http={http} user={user} onLogOut={logOut} />;
}

function LoginForm({ onSignedIn }: { onSignedIn: (user: Auth.User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const attempt = async (register: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const user = register
        ? await http.register({ username, password, name: username })
        : await http.login({ username, password });
      onSignedIn(user);
    } catch (caught) {
      setError(caught instanceof ParleyHttpError ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <h1>Parley</h1>
      <form
        aria-label="Log in"
        onSubmit={(event) => {
          event.preventDefault();
          void attempt(false);
        }}
      >
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <div className="buttons">
          <button type="submit" disabled={busy}>
            Log in
          </button>
          <button type="button" disabled={busy} onClick={() => void attempt(true)}>
            Register
          </button>
        </div>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
