import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ParleyHttp, ParleyHttpError } from '../src/index.js';

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

test("the page's fetch is called as a plain function, as browsers require", async () => {
  const original = globalThis.fetch;
  const seen: unknown[] = [];
  globalThis.fetch = function (this: unknown, input: string | URL | Request) {
    // A browser's fetch throws "Illegal invocation" when called on another object.
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
    seen.push(String(input));
    return Promise.resolve(answer(200, { id: 1, username: 'ada', name: 'Ada', createdAt: '2026-01-01T00:00:00Z' }));
  } as typeof fetch;
  try {
    const me = await new ParleyHttp().me();
    assert.equal(me.username, 'ada');
    assert.deepEqual(seen, ['/api/users/me']);
  } finally {
    globalThis.fetch = original;
  }
});

test('paths, queries and bodies follow the API', async () => {
  const calls: { url: string; method: string; body: unknown }[] = [];
  const http = new ParleyHttp({
    baseUrl: 'http://edge',
    fetch: async (url, init) => {
      calls.push({ url, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return answer(200, []);
    },
  });
  await http.history(7, { before: 40, limit: 20 });
  await http.users([3, 14]);
  await http.markRead(9, 7);
  await http.conversationMessages('conv_1_2');
  await http.unread(7);
  await http.allUnread();
  assert.deepEqual(calls, [
    { url: 'http://edge/api/channels/7/messages?before=40&limit=20', method: 'GET', body: undefined },
    { url: 'http://edge/api/users?ids=3%2C14', method: 'GET', body: undefined },
    { url: 'http://edge/api/messages/9/read', method: 'POST', body: { channelId: 7 } },
    { url: 'http://edge/api/messagepal/conversations/conv_1_2/messages', method: 'GET', body: undefined },
    { url: 'http://edge/api/channels/7/unread', method: 'GET', body: undefined },
    { url: 'http://edge/api/users/me/unread', method: 'GET', body: undefined },
  ]);
});

test('a refusal becomes a ParleyHttpError with its code; an unreachable server too', async () => {
  const refused = new ParleyHttp({ fetch: async () => answer(429, { error: { code: 'rate_limited', message: 'slow down' } }) });
  await assert.rejects(refused.login({ username: 'a', password: 'b' }), (error: unknown) => {
    assert.ok(error instanceof ParleyHttpError);
    assert.deepEqual([error.status, error.code, error.message], [429, 'rate_limited', 'slow down']);
    return true;
  });
  const away = new ParleyHttp({ fetch: async () => Promise.reject(new TypeError('connection refused')) });
  await assert.rejects(away.workspaces(), (error: unknown) => error instanceof ParleyHttpError && error.code === 'network');
});
