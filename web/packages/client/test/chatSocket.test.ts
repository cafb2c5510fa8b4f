import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatSocket, LINES_SUBPROTOCOL, type ChatServer } from '../src/index.js';
import { rig } from '../src/testing.js';

const HELLO = { type: 'connected', userId: 1, username: 'ada' };

function message(channelId: number, seq: number, extra: Partial<ChatServer.ChannelMessage> = {}) {
  const body = { id: 100 + seq, channelId, authorId: 2, content: `m${seq}`, seq, createdAt: '2026-01-01T00:00:00Z', ...extra };
  return { type: 'new_message', channelId, seq, message: body };
}

function started() {
  const r = rig();
  const socket = new ChatSocket(r.options);
  const statuses: string[] = [];
  const frames: ChatServer.ChatServerFrame[] = [];
  socket.on('status', (status) => statuses.push(status));
  socket.on('frame', (frame) => frames.push(frame));
  socket.start();
  return { ...r, socket, statuses, frames };
}

test('a dropped line comes back after a backoff that grows, and is reset by a greeting', () => {
  const t = started();
  t.last().open(HELLO);
  assert.equal(t.socket.status, 'connected');
  t.last().drop();
  assert.equal(t.socket.status, 'reconnecting');
  assert.equal(t.clock.nextDelay(), 250); // attempt 0: half of the 500 ms cap
  t.clock.advance(250);
  assert.equal(t.sockets.length, 2);
  t.last().drop();
  assert.equal(t.clock.nextDelay(), 500); // attempt 1: half of 1000
  t.clock.advance(500);
  t.last().drop();
  assert.equal(t.clock.nextDelay(), 1000);
  t.clock.advance(1000);
  t.last().open(HELLO);
  assert.equal(t.socket.status, 'connected');
  t.last().drop();
  assert.equal(t.clock.nextDelay(), 250, 'the greeting resets the backoff');
  assert.deepEqual(t.statuses, ['connecting', 'connected', 'reconnecting', 'connected', 'reconnecting']);
});

test('online and a visible page reconnect at once; a hidden page waits', () => {
  const t = started();
  t.last().open(HELLO);
  t.last().drop();
  t.clock.advance(250);
  t.last().drop();
  assert.equal(t.sockets.length, 2);
  t.window.dispatch('online');
  assert.equal(t.sockets.length, 3, 'online does not wait for the backoff');
  t.window.dispatch('online');
  assert.equal(t.sockets.length, 3, 'no second attempt while one is under way');
  t.last().drop();
  t.document.visible = false;
  t.document.dispatch('visibilitychange');
  assert.equal(t.sockets.length, 3);
  t.document.visible = true;
  t.document.dispatch('visibilitychange');
  assert.equal(t.sockets.length, 4);
  t.last().open(HELLO);
  t.window.dispatch('online');
  assert.equal(t.sockets.length, 4, 'a live line is left alone');
});

test('an attempt that is never greeted is dropped and retried', () => {
  const t = started();
  t.clock.advance(10_000);
  assert.equal(t.sockets[0]?.closedWith, 4000);
  assert.equal(t.socket.status, 'reconnecting');
  t.clock.advance(t.clock.nextDelay() ?? 0);
  assert.equal(t.sockets.length, 2);
});

test('close() ends it for good', () => {
  const t = started();
  t.last().open(HELLO);
  t.socket.close();
  assert.equal(t.last().closedWith, 1000);
  t.clock.advance(60_000);
  t.window.dispatch('online');
  assert.equal(t.sockets.length, 1);
  assert.equal(t.socket.status, 'closed');
});

test('joined channels are re-joined from the last seq seen, and repeats are dropped', () => {
  const t = started();
  t.socket.join(7);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('join_channel'), [{ type: 'join_channel', channelId: 7 }]);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 3 });
  t.last().receive(message(7, 4));
  t.last().receive(message(7, 5));
  t.last().receive(message(7, 5));
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('join_channel'), [{ type: 'join_channel', channelId: 7, lastSeq: 5 }]);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 6 });
  t.last().receive(message(7, 5)); // the server replays from its own view: a repeat
  t.last().receive(message(7, 6));
  const seqs = t.frames.filter((f) => f.type === 'new_message').map((f) => (f as ChatServer.NewMessage).seq);
  assert.deepEqual(seqs, [4, 5, 6]);
  assert.equal(t.socket.lastSeq(7), 6);
});

test('reactions, pins and receipts move the position a re-join resumes from, and repeats are dropped', () => {
  const t = started();
  t.socket.join(7);
  t.last().open(HELLO);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 3 });
  t.last().receive({ type: 'reaction_added', channelId: 7, messageId: 1, userId: 2, emoji: '👍', seq: 4 });
  t.last().receive({ type: 'message_pinned', channelId: 7, messageId: 1, pinnedBy: { userId: 2 }, pinnedAt: 'x', seq: 5 });
  t.last().receive({ type: 'reaction_added', channelId: 7, messageId: 1, userId: 2, emoji: '👍', seq: 4 });
  assert.equal(t.frames.filter((f) => f.type === 'reaction_added').length, 1);
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('join_channel'), [{ type: 'join_channel', channelId: 7, lastSeq: 5 }]);
});

test('a join with the seq of the history held asks for what came after it', () => {
  const t = started();
  t.last().open(HELLO);
  t.socket.join(9, 12);
  assert.deepEqual(t.last().ofType('join_channel'), [{ type: 'join_channel', channelId: 9, lastSeq: 12 }]);
  t.socket.leave(9);
  assert.deepEqual(t.last().ofType('leave_channel'), [{ type: 'leave_channel', channelId: 9 }]);
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('join_channel'), [], 'a channel left is not re-joined');
});

test('a send waits for the join, stays pending until its echo, and is acknowledged once', () => {
  const t = started();
  const acks: number[] = [];
  t.socket.on('ack', (m) => acks.push(m.id));
  t.socket.join(7);
  const id = t.socket.sendMessage(7, 'hello', { replyTo: 3 });
  assert.equal(t.socket.pending(7)[0]?.state, 'queued');
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('send_message'), [], 'not before the join is confirmed');
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 0 });
  assert.deepEqual(t.last().ofType('send_message'), [
    { type: 'send_message', channelId: 7, content: 'hello', clientMsgId: id, replyTo: 3 },
  ]);
  assert.equal(t.socket.pending(7)[0]?.state, 'sent');
  t.last().receive(message(7, 1, { authorId: 2, clientMsgId: id }));
  assert.equal(t.socket.pending().length, 1, 'an echo from someone else is no acknowledgement');
  t.last().receive(message(7, 2, { authorId: 1, clientMsgId: id }));
  assert.deepEqual(t.socket.pending(), []);
  t.last().receive(message(7, 2, { authorId: 1, clientMsgId: id }));
  assert.deepEqual(acks, [102]);
});

test('a send unacknowledged when the line drops goes again, under the same clientMsgId', () => {
  const t = started();
  t.socket.join(7);
  t.last().open(HELLO);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 0 });
  const id = t.socket.sendMessage(7, 'once');
  t.last().drop();
  assert.equal(t.socket.pending()[0]?.state, 'queued');
  const offline = t.socket.sendMessage(7, 'while down');
  t.clock.advance(250);
  t.last().open(HELLO);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 0 });
  const resent = t.last().ofType('send_message').map((f) => f.clientMsgId);
  assert.deepEqual(resent, [id, offline], 'both, oldest first');
});

test('a rate-limited send is tried again after the wait; a refused one fails', () => {
  const t = started();
  const failed: string[] = [];
  t.socket.on('failed', (f) => failed.push(`${f.clientMsgId}:${f.code}`));
  t.socket.join(7);
  t.last().open(HELLO);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 0 });
  const limited = t.socket.sendMessage(7, 'a');
  t.last().receive({ type: 'error', code: 'rate_limited', message: 'slow', clientMsgId: limited, channelId: 7, retryAfterMs: 800 });
  assert.equal(t.last().ofType('send_message').length, 1);
  t.clock.advance(799);
  assert.equal(t.last().ofType('send_message').length, 1);
  t.clock.advance(1);
  assert.equal(t.last().ofType('send_message').length, 2);
  const refused = t.socket.sendMessage(7, 'b');
  t.last().receive({ type: 'error', code: 'forbidden', message: 'no', clientMsgId: refused, channelId: 7 });
  assert.deepEqual(failed, [`${refused}:forbidden`]);
  assert.deepEqual(t.socket.pending().map((p) => p.clientMsgId), [limited]);
});

test('a join refused for good is not retried after reconnects', () => {
  const t = started();
  t.socket.join(8);
  t.last().open(HELLO);
  t.last().receive({ type: 'error', code: 'forbidden', message: 'not a member', channelId: 8 });
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('join_channel'), []);
});

test('another epoch, or a reload frame, means the channel is reloaded', () => {
  const t = started();
  const reloads: number[] = [];
  t.socket.on('reload', (r) => reloads.push(r.channelId));
  t.socket.join(7);
  t.last().open(HELLO);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 4, epoch: 'a' });
  t.last().receive(message(7, 5));
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 2, epoch: 'b' });
  assert.deepEqual(reloads, [7]);
  assert.equal(t.socket.lastSeq(7), 2);
  t.last().receive(message(7, 3));
  assert.equal(t.socket.lastSeq(7), 3, 'seqs of the new epoch are not taken for repeats');
  t.last().receive({ type: 'reload', channelId: 7 });
  assert.deepEqual(reloads, [7, 7]);
  assert.deepEqual(t.last().ofType('join_channel').at(-1), { type: 'join_channel', channelId: 7 });
});

test('typing and read receipts are sent only on a live line in a joined channel', () => {
  const t = started();
  assert.equal(t.socket.typing(7), false);
  t.socket.join(7);
  t.last().open(HELLO);
  assert.equal(t.socket.typing(7), false, 'not before the join is confirmed');
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 0 });
  assert.equal(t.socket.typing(7), true);
  assert.equal(t.socket.stopTyping(7), true);
  assert.equal(t.socket.markRead(7, 101), true);
  assert.deepEqual(t.last().sent.slice(-3).map((f) => f.type), ['typing', 'stop_typing', 'mark_read']);
});

test('message changes go out as the lifecycle frames on a live line', () => {
  const t = started();
  assert.equal(t.socket.addReaction(101, '👍'), false, 'nothing is sent while the line is down');
  t.socket.join(7);
  t.last().open(HELLO);
  t.last().receive({ type: 'joined_channel', channelId: 7, online: [], lastSeq: 0 });
  assert.ok(t.socket.editMessage(101, 'fixed'));
  assert.ok(t.socket.deleteMessage(102));
  assert.ok(t.socket.addReaction(101, '👍'));
  assert.ok(t.socket.removeReaction(101, '👍'));
  assert.ok(t.socket.pinMessage(7, 101));
  assert.ok(t.socket.unpinMessage(7, 101));
  assert.ok(t.socket.markDelivered(7, 101));
  assert.deepEqual(t.last().sent.slice(-7), [
    { type: 'edit_message', messageId: 101, content: 'fixed' },
    { type: 'delete_message', messageId: 102 },
    { type: 'add_reaction', messageId: 101, emoji: '👍' },
    { type: 'remove_reaction', messageId: 101, emoji: '👍' },
    { type: 'pin_message', channelId: 7, messageId: 101 },
    { type: 'unpin_message', channelId: 7, messageId: 101 },
    { type: 'mark_delivered', channelId: 7, messageId: 101 },
  ]);
});

test('a line that accepted parley.lines reads every frame of a message, in order', () => {
  const t = started();
  assert.deepEqual(t.last().protocols, [LINES_SUBPROTOCOL]);
  t.last().open(HELLO, LINES_SUBPROTOCOL);
  t.socket.join(7);
  t.last().receiveLines({ type: 'joined_channel', channelId: 7, lastSeq: 0, online: [] }, message(7, 1));
  t.last().receiveLines(message(7, 2), { type: 'unread_updated', channelId: 7, delta: 1 }, message(7, 3));
  assert.deepEqual(
    t.frames.map((frame) => [frame.type, 'seq' in frame ? frame.seq : null]),
    [
      ['connected', null],
      ['joined_channel', null],
      ['new_message', 1],
      ['new_message', 2],
      ['unread_updated', null],
      ['new_message', 3],
    ],
  );
});
