import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatSocket, type ChatServer, ParleyHttp } from '@parley/client';
import { rig } from '@parley/client/testing';

import { ChatStore, shownMessages } from '../src/index.js';

const HELLO = { type: 'connected', userId: 1, username: 'ada' };

function message(seq: number, extra: Partial<ChatServer.ChannelMessage> = {}): ChatServer.ChannelMessage {
  return { id: 100 + seq, channelId: 7, authorId: 2, content: `m${seq}`, seq, createdAt: '2026-01-01T00:00:00Z', ...extra };
}

/** A store over a fake line, with an HTTP API answering history from `pages` and each
 * channel's unread count from `unread`. */
function setUp(pages: ChatServer.ChannelMessage[][], unread = 0) {
  const r = rig();
  const asked: string[] = [];
  const http = new ParleyHttp({
    fetch: async (url) => {
      if (url.endsWith('/unread')) return new Response(JSON.stringify({ count: unread, mentions: 0, lastReadSeq: 0 }), { status: 200 });
      asked.push(url);
      return new Response(JSON.stringify(pages.shift() ?? []), { status: 200 });
    },
  });
  const store = new ChatStore(new ChatSocket(r.options), http, { pageSize: 2 });
  let renders = 0;
  store.subscribe(() => (renders += 1));
  store.start();
  r.last().open(HELLO);
  return { ...r, store, asked, renders: () => renders };
}

async function settled(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !condition(); turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), 'the condition never held');
}

test('a channel is joined after its newest history, from its last seq', async () => {
  const t = setUp([[message(3), message(4)]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  assert.deepEqual(t.asked, ['/api/channels/7/messages?limit=2']);
  assert.deepEqual(t.last().ofType('join_channel'), [{ type: 'join_channel', channelId: 7, lastSeq: 4 }]);
  const channel = t.store.getSnapshot().channels.get(7);
  assert.deepEqual(channel?.messages.map((m) => m.seq), [3, 4]);
  assert.equal(channel?.hasOlder, true);
});

test('snapshots change only when something did, and count unread outside the open channel', async () => {
  const t = setUp([[]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  const before = t.store.getSnapshot();
  assert.equal(t.store.getSnapshot(), before, 'the same snapshot while nothing changes');
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [{ userId: 2, username: 'bob' }], lastSeq: 0 });
  t.last().receive({ type: 'new_message', channelId: 7, seq: 1, message: message(1) });
  t.last().receive({ type: 'new_message', channelId: 7, seq: 2, message: message(2, { authorId: 1 }) });
  const after = t.store.getSnapshot();
  assert.notEqual(after, before);
  assert.equal(after.channels.get(7)?.unread, 1, "one from bob; ada's own does not count");
  assert.deepEqual(after.channels.get(7)?.online, [{ userId: 2, username: 'bob' }]);
  t.store.setActive(7);
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 0);
  t.last().receive({ type: 'new_message', channelId: 7, seq: 3, message: message(3) });
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 0, 'the open channel is read');
});

test('a send shows as pending, then once as acknowledged', async () => {
  const t = setUp([[]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 0 });
  const id = t.store.socket.sendMessage(7, 'hello');
  const pending = shownMessages(t.store.getSnapshot(), 7, t.store.getSnapshot().channels.get(7)?.messages ?? []);
  assert.deepEqual(pending.map((m) => [m.content, m.state, m.authorId]), [['hello', 'pending', 1]]);
  t.last().receive({ type: 'new_message', channelId: 7, seq: 1, message: message(1, { authorId: 1, content: 'hello', clientMsgId: id }) });
  const snapshot = t.store.getSnapshot();
  const shown = shownMessages(snapshot, 7, snapshot.channels.get(7)?.messages ?? []);
  assert.deepEqual(shown.map((m) => [m.content, m.state, m.id]), [['hello', 'acknowledged', 101]]);
});

test('typing shows until the typist stops or posts; read receipts keep each reader once', async () => {
  const t = setUp([[]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  const typing = () => t.store.getSnapshot().channels.get(7)?.typing.map((p) => p.username);
  t.last().receive({ type: 'user_typing', channelId: 7, userId: 2, username: 'bob' });
  t.last().receive({ type: 'user_typing', channelId: 7, userId: 1, username: 'ada' });
  assert.deepEqual(typing(), ['bob'], "one's own typing is not shown");
  t.last().receive({ type: 'new_message', channelId: 7, seq: 1, message: message(1) });
  assert.deepEqual(typing(), []);
  t.last().receive({ type: 'user_typing', channelId: 7, userId: 2, username: 'bob' });
  t.last().receive({ type: 'user_stop_typing', channelId: 7, userId: 2, username: 'bob' });
  assert.deepEqual(typing(), []);
  t.last().receive({ type: 'message_read', channelId: 7, messageId: 101, userId: 3, readAt: '2026-01-01T00:00:01Z', seq: 2 });
  t.last().receive({ type: 'message_read', channelId: 7, messageId: 102, userId: 3, readAt: '2026-01-01T00:00:02Z', seq: 3 });
  const reads = t.store.getSnapshot().channels.get(7)?.reads;
  assert.deepEqual([reads?.get(101), reads?.get(102)], [[], [3]]);
  t.store.stop();
});

test('a reload drops what was shown and fetches the channel again', async () => {
  const t = setUp([[message(1)], [message(1, { content: 'new epoch' })]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  t.last().receive({ type: 'reload', channelId: 7 });
  await settled(() => t.store.getSnapshot().channels.get(7)?.messages[0]?.content === 'new epoch');
  assert.equal(t.asked.length, 2);
});

test('paging upward asks for the page before the oldest message held', async () => {
  const t = setUp([[message(5), message(6)], [message(3), message(4)]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  await t.store.loadOlder(7);
  assert.equal(t.asked[1], '/api/channels/7/messages?before=5&limit=2');
  assert.deepEqual(t.store.getSnapshot().channels.get(7)?.messages.map((m) => m.seq), [3, 4, 5, 6]);
});

test('a store stopped and started again (as strict mode does) opens a new line and re-joins', async () => {
  const t = setUp([[message(1)]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 1 });
  t.store.stop();
  assert.equal(t.store.getSnapshot().status, 'closed');
  t.store.start();
  assert.equal(t.sockets.length, 2);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('join_channel'), [{ type: 'join_channel', channelId: 7, lastSeq: 1 }]);
  t.last().receive({ type: 'new_message', channelId: 7, seq: 2, message: message(2) });
  assert.deepEqual(t.store.getSnapshot().channels.get(7)?.messages.map((m) => m.seq), [1, 2]);
});

test('join and leave one channel beside the declared ones', async () => {
  const t = setUp([[], []]);
  t.store.setChannels([7]);
  t.store.join(8);
  await settled(() => t.last().ofType('join_channel').length === 2);
  t.store.leave(8);
  assert.deepEqual(t.last().ofType('leave_channel'), [{ type: 'leave_channel', channelId: 8 }]);
  assert.deepEqual([...t.store.getSnapshot().channels.keys()], [7]);
});

test("a channel's badge starts at the server's count and goes on from there; a read elsewhere lowers it", async () => {
  const t = setUp([[message(1), message(2)]], 2);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 2, 'from GET /api/channels/7/unread');
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 2 });
  t.last().receive({ type: 'new_message', channelId: 7, seq: 3, message: message(3) });
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 3);
  t.last().receive({ type: 'unread_updated', channelId: 7, delta: 1 });
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 3, 'new messages are counted once, as they come');
  t.last().receive({ type: 'unread_updated', channelId: 7, delta: -2 });
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 1);
  t.last().receive({ type: 'unread_updated', channelId: 7, delta: -5 });
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 0);
});

test('reactions fold into their message: users, count, and whether the reader reacted', async () => {
  const t = setUp([[message(1)]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 1 });
  const reactions = () => t.store.getSnapshot().channels.get(7)?.messages[0]?.reactions;
  t.last().receive({ type: 'reaction_added', channelId: 7, messageId: 101, userId: 2, emoji: '👍', seq: 2 });
  t.last().receive({ type: 'reaction_added', channelId: 7, messageId: 101, userId: 1, emoji: '👍', seq: 3 });
  t.last().receive({ type: 'reaction_added', channelId: 7, messageId: 101, userId: 2, emoji: '🎉', seq: 4 });
  assert.deepEqual(reactions(), [
    { emoji: '👍', count: 2, userIds: [2, 1], reacted: true },
    { emoji: '🎉', count: 1, userIds: [2], reacted: false },
  ]);
  t.last().receive({ type: 'reaction_removed', channelId: 7, messageId: 101, userId: 1, emoji: '👍', seq: 5 });
  t.last().receive({ type: 'reaction_removed', channelId: 7, messageId: 101, userId: 2, emoji: '🎉', seq: 6 });
  assert.deepEqual(reactions(), [{ emoji: '👍', count: 1, userIds: [2], reacted: false }]);
  const shown = shownMessages(t.store.getSnapshot(), 7, t.store.getSnapshot().channels.get(7)?.messages ?? []);
  assert.deepEqual(shown[0]?.reactions, [{ emoji: '👍', count: 1, userIds: [2], reacted: false }]);
});

test("a reply counts on its parent, and edits and deletes change the message held", async () => {
  const t = setUp([[message(1)]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 1 });
  t.last().receive({ type: 'new_message', channelId: 7, seq: 2, message: message(2, { replyTo: 101, createdAt: '2026-01-01T00:00:09Z' }) });
  t.last().receive({ type: 'message_edited', channelId: 7, messageId: 102, content: 'changed', editedAt: '2026-01-01T00:00:10Z', seq: 3 });
  t.last().receive({ type: 'message_deleted', channelId: 7, messageId: 101, seq: 4 });
  const snapshot = t.store.getSnapshot();
  const shown = shownMessages(snapshot, 7, snapshot.channels.get(7)?.messages ?? []);
  assert.deepEqual(
    shown.map((m) => [m.id, m.content, m.replyTo, m.replyCount, m.editedAt, m.deleted]),
    [
      [101, '', null, 1, null, true],
      [102, 'changed', 101, 0, '2026-01-01T00:00:10Z', false],
    ],
  );
});

test("the open channel's server count is not kept for when it is left: it is being read", async () => {
  const t = setUp([[message(1)]], 3);
  t.store.setActive(7);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  t.store.setActive(null);
  assert.equal(t.store.getSnapshot().channels.get(7)?.unread, 0);
});

test("a refused action that is not a send becomes the snapshot's refusal; a send's refusal stays the outbox's", async () => {
  const t = setUp([[]]);
  t.store.setChannels([7]);
  await settled(() => t.last().ofType('join_channel').length > 0);
  assert.equal(t.store.getSnapshot().refusal, null);
  t.last().receive({ type: 'error', code: 'rate_limited', message: 'too many sends; slow down', retryAfterMs: 800 });
  const first = t.store.getSnapshot().refusal;
  assert.deepEqual(first, { code: 'rate_limited', message: 'too many sends; slow down' });
  t.last().receive({ type: 'error', code: 'rate_limited', message: 'too many sends; slow down', retryAfterMs: 800 });
  assert.notEqual(t.store.getSnapshot().refusal, first, 'a new refusal is a new object, so the page tells it again');
  const before = t.store.getSnapshot().refusal;
  t.last().receive({ type: 'error', code: 'forbidden', message: 'not yours', clientMsgId: 'c1' });
  assert.equal(t.store.getSnapshot().refusal, before);
});
