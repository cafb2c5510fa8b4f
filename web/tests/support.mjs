// What the Node and browser tests share: the stack they run against (started by pytest,
// tests/test_web.py), signed-in HTTP clients, sockets that carry a session cookie, the
// edge's pid, and waiting on a condition instead of sleeping.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ParleyHttp } from '@parley/client';

export const BASE_URL = required('PARLEY_WEB_URL');
export const STACK_DIR = process.env.PARLEY_STACK_DIR ?? '';
export const ARTIFACTS = process.env.PARLEY_WEB_ARTIFACTS ?? '.parley/web-tests';
export const PASSWORD = 'correct horse battery';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: these tests run from tests/test_web.py against a stack it starts`);
  return value;
}

/** A unique username per run (the stack's data outlives a single test). */
export function uniqueName(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** A fetch that keeps the session cookie, as a browser would. */
export function cookieFetch() {
  const jar = new Map();
  const fetchWithCookies = async (input, init = {}) => {
    const headers = new Headers(init.headers ?? {});
    if (jar.size) headers.set('cookie', cookieHeader(jar));
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair] = line.split(';');
      const index = pair.indexOf('=');
      jar.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    return response;
  };
  return { fetch: fetchWithCookies, cookie: () => cookieHeader(jar) };
}

function cookieHeader(jar) {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** A registered user: an HTTP client with its session, and what the sockets need to carry it. */
export async function signedIn(prefix) {
  const jar = cookieFetch();
  const http = new ParleyHttp({ baseUrl: BASE_URL, fetch: jar.fetch });
  const username = uniqueName(prefix);
  const user = await http.register({ username, password: PASSWORD, name: username });
  const sockets = [];
  const socketOptions = (path) => ({
    url: BASE_URL.replace(/^http/, 'ws') + path,
    onlineTarget: null,
    visibility: null,
    backoff: { baseMs: 200, maxMs: 2000 },
    // Node's WebSocket (undici) takes headers: the session cookie the browser would send.
    createSocket: (url, protocols) => {
      const socket = new WebSocket(url, { protocols, headers: { cookie: jar.cookie() } });
      sockets.push(socket);
      return socket;
    },
  });
  return { http, user, username, socketOptions, sockets };
}

/** Ada's workspace with one channel and the given members. */
export async function room(owner, members, channelName = 'general') {
  const workspace = await owner.http.createWorkspace({ name: uniqueName('ws') });
  for (const member of members) {
    const found = await owner.http.userByUsername(member.username);
    await owner.http.addMember(workspace.id, { userId: found.id });
  }
  const channel = await owner.http.createChannel(workspace.id, { name: channelName });
  return { workspace, channel };
}

/** Drops a client's line and waits until the client has seen it down; `back` settles once it
 * is connected again. Statuses are recorded as they change, not polled: the first retry's
 * jittered delay may be near zero, and the line back before a poll saw it was ever down. */
export async function dropLine(client, line) {
  const statuses = [];
  const stop = client.on('status', (status) => statuses.push(status));
  line.close();
  await until(() => statuses.includes('reconnecting'), { what: 'the client reconnecting' });
  const back = until(() => statuses.at(-1) === 'connected', { what: 'the client connected again' });
  back.finally(stop).catch(() => {});
  return { back };
}

export async function until(condition, { timeoutMs = 15_000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The running stack's processes, from the launcher's pid file. */
export function stackPids() {
  const text = readFileSync(join(STACK_DIR, 'stack.pids'), 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((line) => {
    const [name, pid] = line.split(' ');
    return [name, Number(pid)];
  }));
}
