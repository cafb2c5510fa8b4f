import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MessagePalSocket, type MessagePalServer, conversationIdOf } from '../src/index.js';
import { rig } from '../src/testing.js';

const HELLO = { type: 'connected', payload: { userId: 1, username: 'ada', role: 'member', serverTime: 0 } };
const CONV = conversationIdOf(2, 1);

function received(seq: number, extra: Partial<MessagePalServer.DirectMessage> = {}) {
  return {
    type: 'message_received',
    payload: { id: 50 + seq, conversationId: CONV, senderId: 2, recipientId: 1, content: `d${seq}`, seq, createdAt: '2026-01-01T00:00:00Z', ...extra },
  };
}

function started() {
  const r = rig();
  const socket = new MessagePalSocket(r.options);
  const seqs: number[] = [];
  socket.on('frame', (frame) => {
    if (frame.type === 'message_received') seqs.push(frame.payload.seq);
  });
  socket.start();
  return { ...r, socket, seqs };
}

test('conversation ids name the lower user first', () => {
  assert.equal(CONV, 'conv_1_2');
});

test('a conversation is resumed from its last seq, and nothing is lost when live events overtake the replay', () => {
  const t = started();
  t.socket.subscribe(CONV, 2);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('subscribe'), [{ type: 'subscribe', payload: { conversationId: CONV, lastSeq: 2 } }]);
  t.last().receive({ type: 'subscribed', payload: { conversationId: CONV, lastSeq: 3 } });
  t.last().receive(received(3));
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('subscribe'), [{ type: 'subscribe', payload: { conversationId: CONV, lastSeq: 3 } }]);
  // A live event reaches the new line before the replay of what was missed.
  t.last().receive(received(6));
  t.last().receive({ type: 'subscribed', payload: { conversationId: CONV, lastSeq: 5 } });
  t.last().receive(received(4));
  t.last().receive(received(5));
  t.last().receive(received(6));
  assert.deepEqual(t.seqs, [3, 6, 4, 5]);
  assert.equal(t.socket.lastSeq(CONV), 6);
});

test('a DM is sent at once when the line is up, re-sent after a drop, and acknowledged by its echo', () => {
  const t = started();
  const acks: string[] = [];
  t.socket.on('ack', (m) => acks.push(m.clientMsgId ?? ''));
  const id = t.socket.sendMessage(2, 'hi');
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('send_message'), [
    { type: 'send_message', payload: { recipientId: 2, content: 'hi', clientMsgId: id } },
  ]);
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  assert.equal(t.last().ofType('send_message')[0]?.payload && (t.last().ofType('send_message')[0]!.payload as { clientMsgId: string }).clientMsgId, id);
  t.last().receive(received(1, { senderId: 1, recipientId: 2, clientMsgId: id }));
  assert.deepEqual(acks, [id]);
  assert.deepEqual(t.socket.pending(), []);
});

test('a blocked DM fails; an unavailable one is tried again', () => {
  const t = started();
  const failed: string[] = [];
  t.socket.on('failed', (f) => failed.push(f.code));
  t.last().open(HELLO);
  const blocked = t.socket.sendMessage(2, 'x');
  t.last().receive({ type: 'error', payload: { code: 'blocked', message: 'blocked', clientMsgId: blocked } });
  assert.deepEqual(failed, ['blocked']);
  const later = t.socket.sendMessage(2, 'y');
  t.last().receive({ type: 'error', payload: { code: 'unavailable', message: 'later', clientMsgId: later } });
  t.clock.advance(1000);
  assert.equal(t.last().ofType('send_message').length, 3);
});

test('another epoch on subscribed means the conversation is reloaded', () => {
  const t = started();
  const reloads: string[] = [];
  t.socket.on('reload', (r) => reloads.push(r.conversationId));
  t.socket.subscribe(CONV);
  t.last().open(HELLO);
  t.last().receive({ type: 'subscribed', payload: { conversationId: CONV, lastSeq: 3, epoch: 1 } });
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  t.last().receive({ type: 'subscribed', payload: { conversationId: CONV, lastSeq: 1, epoch: 2 } });
  assert.deepEqual(reloads, [CONV]);
  assert.equal(t.socket.lastSeq(CONV), 1);
});

test('edits and deletes move the resume position too, and their repeats are dropped', () => {
  const t = started();
  const changes: string[] = [];
  t.socket.on('frame', (frame) => {
    if (frame.type === 'message_edited' || frame.type === 'message_deleted') changes.push(`${frame.type}:${frame.payload.seq}`);
  });
  t.socket.subscribe(CONV, 1);
  t.last().open(HELLO);
  t.last().receive({ type: 'subscribed', payload: { conversationId: CONV, lastSeq: 1 } });
  t.last().receive(received(2));
  const edited = { type: 'message_edited', payload: { messageId: 52, conversationId: CONV, content: 'd2!', editedAt: 'x', seq: 3 } };
  t.last().receive(edited);
  t.last().receive(received(4));
  assert.equal(t.socket.lastSeq(CONV), 4, 'no gap is left at the edit');
  t.last().drop();
  t.clock.advance(250);
  t.last().open(HELLO);
  assert.deepEqual(t.last().ofType('subscribe'), [{ type: 'subscribe', payload: { conversationId: CONV, lastSeq: 4 } }]);
  t.last().receive(edited);
  t.last().receive({ type: 'message_deleted', payload: { messageId: 52, conversationId: CONV, seq: 5 } });
  assert.deepEqual(changes, ['message_edited:3', 'message_deleted:5']);
});

test("one's own DMs are edited and deleted with the envelope frames, only on a live line", () => {
  const t = started();
  assert.equal(t.socket.editMessage(52, 'new text'), false);
  t.last().open(HELLO);
  assert.equal(t.socket.editMessage(52, 'new text'), true);
  assert.equal(t.socket.deleteMessage(52), true);
  assert.deepEqual(t.last().sent.slice(-2), [
    { type: 'edit_message', payload: { messageId: 52, content: 'new text' } },
    { type: 'delete_message', payload: { messageId: 52 } },
  ]);
});
