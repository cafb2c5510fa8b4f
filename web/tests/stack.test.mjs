// @parley/client from Node against a real stack (NATS, auth, chat, dm, the assistant and
// the edge, started by tests/test_web.py): channel messages and DMs both ways with their
// acknowledgements, resume after a dropped line with nothing lost or doubled, and a send
// whose line dropped before its echo stored once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ChatSocket, MessagePalSocket, ParleyHttpError, conversationIdOf } from '@parley/client';

import { dropLine, room, signedIn, until } from './support.mjs';

let ada, bob, channel;
const open = [];

function chatSocket(who) {
  const socket = new ChatSocket(who.socketOptions('/ws/chat'));
  const frames = [];
  socket.on('frame', (frame) => frames.push(frame));
  socket.start();
  open.push(socket);
  return { socket, frames, contents: () => frames.filter((f) => f.type === 'new_message').map((f) => f.message.content) };
}

before(async () => {
  ada = await signedIn('ada');
  bob = await signedIn('bob');
  ({ channel } = await room(ada, [bob]));
});

after(() => {
  for (const socket of open) socket.close();
});

test('a bad login is a typed refusal', async () => {
  await assert.rejects(ada.http.login({ username: ada.username, password: 'wrong password' }), (error) => {
    assert.ok(error instanceof ParleyHttpError);
    assert.equal(error.status, 401);
    assert.equal(error.code, 'unauthorized');
    return true;
  });
});

test('channel messages reach the other socket in order and are acknowledged to the sender', async () => {
  const a = chatSocket(ada);
  const b = chatSocket(bob);
  a.socket.join(channel.id);
  b.socket.join(channel.id);
  await until(() => a.frames.some((f) => f.type === 'joined_channel') && b.frames.some((f) => f.type === 'joined_channel'), { what: 'both joined' });
  const acks = [];
  a.socket.on('ack', (message) => acks.push(message.clientMsgId));
  const ids = ['one', 'two', 'three'].map((text) => a.socket.sendMessage(channel.id, text));
  assert.equal(a.socket.pending(channel.id).length, 3);
  await until(() => b.contents().length === 3, { what: 'three messages at bob' });
  assert.deepEqual(b.contents(), ['one', 'two', 'three']);
  await until(() => acks.length === 3, { what: 'three acknowledgements' });
  assert.deepEqual(acks, ids);
  assert.deepEqual(a.socket.pending(), []);
  a.socket.close();
  b.socket.close();
});

test('a dropped line resumes from the last seq: what was sent meanwhile arrives once', async () => {
  const history = await bob.http.history(channel.id);
  const a = chatSocket(ada);
  const b = chatSocket(bob);
  a.socket.join(channel.id);
  b.socket.join(channel.id, history.at(-1)?.seq ?? 0);
  await until(() => a.frames.some((f) => f.type === 'joined_channel') && b.frames.some((f) => f.type === 'joined_channel'), { what: 'both joined' });
  const { back: reconnected } = await dropLine(b.socket, bob.sockets.at(-1)); // bob's line drops
  a.socket.sendMessage(channel.id, 'while bob was away');
  a.socket.sendMessage(channel.id, 'and another');
  await reconnected;
  await until(() => b.contents().length === 2, { what: 'the missed messages at bob' });
  a.socket.sendMessage(channel.id, 'after bob came back');
  await until(() => b.contents().length === 3, { what: 'the live message at bob' });
  assert.deepEqual(b.contents(), ['while bob was away', 'and another', 'after bob came back']);
  const seqs = b.frames.filter((f) => f.type === 'new_message').map((f) => f.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  assert.equal(new Set(seqs).size, seqs.length);
  a.socket.close();
  b.socket.close();
});

test('a send whose line dropped before its echo is sent again and stored once', async () => {
  const a = chatSocket(ada);
  a.socket.join(channel.id);
  await until(() => a.frames.some((f) => f.type === 'joined_channel'), { what: 'ada joined' });
  const line = ada.sockets.at(-1);
  const id = a.socket.sendMessage(channel.id, 'exactly once');
  line.close(); // the frame went out; the echo may never reach this line
  await until(() => a.socket.pending().length === 0, { what: 'the acknowledgement after reconnecting' });
  const stored = (await ada.http.history(channel.id, { limit: 100 })).filter((m) => m.clientMsgId === id);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].content, 'exactly once');
  a.socket.close();
});

test('direct messages go both ways and are acknowledged by their echo', async () => {
  const a = new MessagePalSocket(ada.socketOptions('/messagepal'));
  const b = new MessagePalSocket(bob.socketOptions('/messagepal'));
  open.push(a, b);
  const got = { a: [], b: [] };
  a.on('frame', (f) => f.type === 'message_received' && got.a.push(f.payload));
  b.on('frame', (f) => f.type === 'message_received' && got.b.push(f.payload));
  a.start();
  b.start();
  await until(() => a.connected && b.connected, { what: 'both DM sockets' });
  const acks = [];
  a.on('ack', (m) => acks.push(m.clientMsgId));
  const id = a.sendMessage(bob.user.id, 'hello bob');
  await until(() => got.b.some((m) => m.content === 'hello bob'), { what: 'the DM at bob' });
  await until(() => acks.includes(id), { what: "ada's acknowledgement" });
  b.sendMessage(ada.user.id, 'hello ada');
  await until(() => got.a.some((m) => m.content === 'hello ada'), { what: 'the reply at ada' });
  const conversation = conversationIdOf(ada.user.id, bob.user.id);
  assert.deepEqual((await bob.http.conversationMessages(conversation)).map((m) => m.content), ['hello bob', 'hello ada']);
  const inbox = await bob.http.conversations();
  assert.equal(inbox.find((e) => e.conversationId === conversation)?.lastMessage?.content, 'hello ada');
  a.close();
  b.close();
});

test('a dropped DM line resumes its conversation: a message and an edit made meanwhile arrive once', async () => {
  const a = new MessagePalSocket(ada.socketOptions('/messagepal'));
  const b = new MessagePalSocket(bob.socketOptions('/messagepal'));
  open.push(a, b);
  const seen = [];
  b.on('frame', (f) => (f.type === 'message_received' || f.type === 'message_edited') && seen.push(f));
  const acked = [];
  a.on('ack', (m) => acked.push(m));
  a.start();
  b.start();
  await until(() => a.connected && b.connected, { what: 'both DM sockets' });
  const conversation = conversationIdOf(ada.user.id, bob.user.id);
  const held = await bob.http.conversationMessages(conversation);
  b.subscribe(conversation, held.at(-1)?.seq ?? 0);
  a.sendMessage(bob.user.id, 'before the drop');
  await until(() => seen.length === 1 && acked.length === 1, { what: 'the first DM' });
  const { back: reconnected } = await dropLine(b, bob.sockets.at(-1)); // bob's line drops
  assert.ok(a.editMessage(acked[0].id, 'edited while bob was away'));
  a.sendMessage(bob.user.id, 'sent while bob was away');
  await reconnected;
  await until(() => seen.length === 3, { what: 'the edit and the message bob missed' });
  a.sendMessage(bob.user.id, 'after bob came back');
  await until(() => seen.length === 4, { what: 'the live DM at bob' });
  // A DM socket may get live events before its resume's replay (`StreamPositions`): the
  // order that holds is the stream's, by seq.
  assert.deepEqual(
    [...seen].sort((x, y) => x.payload.seq - y.payload.seq).map((f) => f.payload.content),
    ['before the drop', 'edited while bob was away', 'sent while bob was away', 'after bob came back'],
  );
  const seqs = seen.map((f) => f.payload.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'nothing doubled');
  assert.equal(b.lastSeq(conversation), Math.max(...seqs), 'the position covers the edit: no gap to resume from');
  const history = await bob.http.conversationMessages(conversation);
  assert.equal(history.find((m) => m.id === acked[0].id)?.content, 'edited while bob was away');
  a.close();
  b.close();
});
