/** Test doubles for the sockets (`@parley/client/testing`): a WebSocket the test drives by
 * hand, a clock that moves only when told, and an event target standing in for `window`
 * and `document`. For unit tests of the client and of code built on it. */

import type { EventTargetLike, SocketOptions, Timers, WebSocketLike } from './reconnecting.js';

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  /** The subprotocol the fake server accepted: '' until `open` is given one. */
  protocol = '';
  sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[] = [],
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The server accepts the line (with `protocol`, one of those offered) and greets it. */
  open(greeting: object, protocol = ''): void {
    if (protocol && !this.protocols.includes(protocol)) throw new Error(`${protocol} was not offered`);
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.({});
    this.receive(greeting);
  }

  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** Several frames in one message, one per line, as on a `parley.lines` socket. */
  receiveLines(...frames: object[]): void {
    this.onmessage?.({ data: frames.map((frame) => JSON.stringify(frame)).join('\n') });
  }

  /** The line drops (the server died, the network went). */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.sent.filter((frame) => frame.type === type);
  }
}

export class FakeClock implements Timers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves time on, running every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = until;
  }

  /** When the earliest timer is due, relative to now (undefined: none). */
  nextDelay(): number | undefined {
    const ats = [...this.pending.values()].map((t) => t.at - this.now);
    return ats.length ? Math.min(...ats) : undefined;
  }
}

export class FakeTarget implements EventTargetLike {
  private readonly listeners = new Map<string, Set<() => void>>();
  visible = true;

  addEventListener(type: string, listener: () => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }

  removeEventListener(type: string, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  dispatch(type: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener();
  }
}

/** Everything a socket under test needs, with every socket it made. */
export function rig(random = () => 0.5) {
  const sockets: FakeSocket[] = [];
  const clock = new FakeClock();
  const window = new FakeTarget();
  const document = new FakeTarget();
  const options: SocketOptions = {
    url: 'ws://test/socket',
    createSocket: (url, protocols) => {
      const socket = new FakeSocket(url, protocols);
      sockets.push(socket);
      return socket;
    },
    backoff: { baseMs: 500, maxMs: 8000, random },
    timers: clock,
    onlineTarget: window,
    visibility: { target: document, visible: () => document.visible },
  };
  const last = (): FakeSocket => {
    const socket = sockets[sockets.length - 1];
    if (!socket) throw new Error('no socket was made');
    return socket;
  };
  return { sockets, clock, window, document, options, last };
}
