import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type Dm, MessagePalSocket, ParleyHttp } from '@parley/client';
import { rig } from '@parley/client/testing';

import { MessagePalStore, shownDirectMessages } from '../src/index.js';

const HELLO = { type: 'connected', payload: { userId: 1, username: 'ada', role: 'member', serverTime: 0 } };

function dm(seq: number, extra: Partial<Dm.DirectMessage> = {}): Dm.DirectMessage {
  return { id: 50 + seq, conversationId: 'conv_1_2', senderId: 2, recipientId: 1, content: `d${seq}`, seq, createdAt: '2026-01-01T00:00:00Z', ...extra };
}

function setUp(answers: Record<string, unknown>) {
  const r = rig();
  const asked: string[] = [];
  const http = new ParleyHttp({
    fetch: async (url) => {
      asked.push(url);
      return new Response(JSON.stringify(answers[url] ?? []), { status: 200 });
    },
  });
  const store = new MessagePalStore(new MessagePalSocket(r.options), http);
  store.start();
  return { ...r, store, asked };
}

async function settled(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !condition(); turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), 'the condition never held');
}

test('the inbox is fetched on every connect and kept live by the socket', async () => {
  const t = setUp({ '/api/messagepal/conversations': [{ conversationId: 'conv_1_2', otherUserId: 2, unread: 0 }] });
  t.last().open(HELLO);
  await settled(() => t.store.getSnapshot().conversations.length === 1);
  t.last().receive({ type: 'message_received', payload: dm(1) });
  t.last().receive({ type: 'message_received', payload: dm(1, { id: 60, conversationId: 'conv_1_3', senderId: 3 }) });
  const inbox = t.store.getSnapshot().conversations;
  assert.deepEqual(inbox.map((e) => [e.conversationId, e.unread]), [['conv_1_3', 1], ['conv_1_2', 1]]);
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  await settled(() => t.asked.filter((u) => u === '/api/messagepal/conversations').length === 2);
});

test('opening a conversation loads it, subscribes from its last seq, and reads it', async () => {
  const t = setUp({ '/api/messagepal/conversations/conv_1_2/messages?limit=50': [dm(1), dm(2)] });
  t.last().open(HELLO);
  await t.store.open('conv_1_2');
  assert.deepEqual(t.last().ofType('subscribe'), [{ type: 'subscribe', payload: { conversationId: 'conv_1_2', lastSeq: 2 } }]);
  const id = t.store.socket.sendMessage(2, 'reply');
  const before = shownDirectMessages(t.store.getSnapshot(), 'conv_1_2');
  assert.deepEqual(before.map((m) => [m.content, m.state]), [['d1', 'acknowledged'], ['d2', 'acknowledged'], ['reply', 'pending']]);
  t.last().receive({ type: 'message_received', payload: dm(3, { senderId: 1, recipientId: 2, content: 'reply', clientMsgId: id }) });
  t.last().receive({ type: 'message_read', payload: { messageId: 53, conversationId: 'conv_1_2', readBy: 2, readAt: '2026-01-01T00:00:05Z', seq: 4 } });
  const after = shownDirectMessages(t.store.getSnapshot(), 'conv_1_2');
  assert.deepEqual(after.map((m) => [m.content, m.state, m.readAt]), [
    ['d1', 'acknowledged', null],
    ['d2', 'acknowledged', null],
    ['reply', 'acknowledged', '2026-01-01T00:00:05Z'],
  ]);
  t.last().receive({ type: 'message_received', payload: dm(5) });
  assert.equal(t.store.getSnapshot().conversations.find((e) => e.conversationId === 'conv_1_2')?.unread, 0, 'the open one is read');
});

test('edits and deletes change the held message and the inbox line', async () => {
  const t = setUp({
    '/api/messagepal/conversations': [{ conversationId: 'conv_1_2', otherUserId: 2, unread: 0 }],
    '/api/messagepal/conversations/conv_1_2/messages?limit=50': [dm(1), dm(2)],
  });
  t.last().open(HELLO);
  await t.store.open('conv_1_2');
  await settled(() => t.store.getSnapshot().conversations.length === 1);
  t.last().receive({ type: 'message_received', payload: dm(3) });
  t.last().receive({ type: 'message_edited', payload: { messageId: 51, conversationId: 'conv_1_2', content: 'd1!', editedAt: '2026-01-01T00:00:06Z', seq: 4 } });
  t.last().receive({ type: 'message_deleted', payload: { messageId: 53, conversationId: 'conv_1_2', seq: 5 } });
  const shown = t.store.getSnapshot().messages.get('conv_1_2') ?? [];
  assert.deepEqual(shown.map((m) => [m.content, m.editedAt ?? null, m.deleted ?? false]), [
    ['d1!', '2026-01-01T00:00:06Z', false],
    ['d2', null, false],
    ['', null, true],
  ]);
  assert.equal(t.store.getSnapshot().conversations[0]?.lastMessage?.deleted, true);
});

test("a refused action that is not a send becomes the snapshot's refusal; a send's refusal stays the outbox's", async () => {
  const t = setUp({});
  t.last().open(HELLO);
  assert.equal(t.store.getSnapshot().refusal, null);
  t.last().receive({ type: 'error', payload: { code: 'rate_limited', message: 'too many frames; slow down', retryAfterMs: 800 } });
  const first = t.store.getSnapshot().refusal;
  assert.deepEqual(first, { code: 'rate_limited', message: 'too many frames; slow down' });
  t.last().receive({ type: 'error', payload: { code: 'rate_limited', message: 'too many frames; slow down', retryAfterMs: 800 } });
  assert.notEqual(t.store.getSnapshot().refusal, first, 'a new refusal is a new object, so the page tells it again');
  const before = t.store.getSnapshot().refusal;
  t.last().receive({ type: 'error', payload: { code: 'forbidden', message: 'not yours', clientMsgId: 'c1' } });
  assert.equal(t.store.getSnapshot().refusal, before);
});
