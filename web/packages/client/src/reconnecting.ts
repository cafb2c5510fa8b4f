/** A WebSocket that comes back by itself: capped exponential backoff with full jitter,
 * at once when the browser says it is online again or the page becomes visible, and a
 * deadline on each attempt. Subclasses speak the frames; this class only keeps the line up. */

import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
import { Emitter } from './emitter.js';

/** The subprotocol of a client that reads one or more frames per message, one per line
 * (`parley_contracts/framing.py`): the sockets offer it, and read lines when the edge accepts. */
export const LINES_SUBPROTOCOL = 'parley.lines';

/** What the sockets need of a WebSocket (the browser's, Node's, or a test's fake). */
export interface WebSocketLike {
  readonly readyState: number;
  /** The subprotocol the server accepted ('' for none). */
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface SocketOptions {
  /** The socket's full URL (ws:// or wss://); by default the page's own host. */
  url?: string;
  /** Makes the WebSocket; by default the global `WebSocket`. */
  createSocket?: SocketFactory;
  backoff?: BackoffOptions;
  /** An attempt that has not been greeted (`connected`) by then is dropped and retried. */
  connectTimeoutMs?: number;
  /** Where `online` is announced (default: `window`); null turns it off. */
  onlineTarget?: EventTargetLike | null;
  /** Where `visibilitychange` is announced, and whether the page is visible (default: `document`). */
  visibility?: { target: EventTargetLike; visible(): boolean } | null;
  timers?: Timers;
}

export interface SocketEvents {
  status: ConnectionStatus;
  /** A close of the line, with the server's code (4001: no valid session). */
  close: { code: number; reason: string };
}

const OPEN = 1;

/** The page's own origin as a WebSocket URL for `path`. */
export function pageSocketUrl(path: string): string {
  const location = (globalThis as { location?: { protocol: string; host: string } }).location;
  if (!location) throw new Error('no page location: pass `url`');
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

function defaultFactory(): SocketFactory {
  const Native = (globalThis as { WebSocket?: new (url: string, protocols: string[]) => WebSocketLike }).WebSocket;
  if (!Native) throw new Error('no global WebSocket: pass `createSocket`');
  return (url, protocols) => new Native(url, protocols);
}

export abstract class ReconnectingSocket<Events extends SocketEvents> extends Emitter<Events> {
  status: ConnectionStatus = 'idle';
  private socket: WebSocketLike | null = null;
  private attempt = 0;
  private retryTimer: unknown = null;
  private deadlineTimer: unknown = null;
  private stopped = true;
  private readonly url: string;
  private readonly createSocket: SocketFactory;
  private readonly backoff: BackoffOptions;
  private readonly connectTimeoutMs: number;
  private readonly timers: Timers;
  private readonly onlineTarget: EventTargetLike | null;
  private readonly visibility: { target: EventTargetLike; visible(): boolean } | null;
  private readonly wake = (): void => {
    if (this.visibility && !this.visibility.visible()) return;
    this.reconnectNow();
  };

  protected constructor(path: string, options: SocketOptions) {
    super();
    this.url = options.url ?? pageSocketUrl(path);
    this.createSocket = options.createSocket ?? defaultFactory();
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const g = globalThis as { window?: EventTargetLike; document?: EventTargetLike & { visibilityState?: string } };
    this.onlineTarget = options.onlineTarget === undefined ? (g.window ?? null) : options.onlineTarget;
    const doc = g.document;
    this.visibility =
      options.visibility === undefined
        ? doc
          ? { target: doc, visible: () => doc.visibilityState !== 'hidden' }
          : null
        : options.visibility;
  }

  /** Opens the line and keeps it open until `close()`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.onlineTarget?.addEventListener('online', this.wake);
    this.visibility?.target.addEventListener('visibilitychange', this.wake);
    this.open();
  }

  /** Closes the line for good: no reconnect follows. */
  close(): void {
    this.stopped = true;
    this.onlineTarget?.removeEventListener('online', this.wake);
    this.visibility?.target.removeEventListener('visibilitychange', this.wake);
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onopen = socket.onerror = null;
      socket.close(1000, 'closed by the client');
    }
    this.setStatus('closed');
  }

  /** Tries now, without waiting out the backoff, unless the line is up or an attempt is under way. */
  reconnectNow(): void {
    if (this.stopped || this.socket !== null) return;
    this.open();
  }

  get connected(): boolean {
    return this.status === 'connected';
  }

  /** Sends a frame if the line is up; false when it is not (nothing is queued here). */
  protected sendFrame(frame: object): boolean {
    if (this.status !== 'connected' || !this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Whether a server frame is the greeting that makes the line usable. */
  protected abstract isGreeting(frame: { type?: unknown }): boolean;

  /** The line is usable again (after the greeting): resume and re-send here. */
  protected abstract onReady(frame: unknown): void;

  /** Every server frame after the greeting. */
  protected abstract onFrame(frame: unknown): void;

  /** The line went down (before a reconnect is scheduled). */
  protected abstract onDown(): void;

  protected schedule(callback: () => void, ms: number): unknown {
    return this.timers.setTimeout(callback, ms);
  }

  protected cancel(handle: unknown): void {
    this.timers.clearTimeout(handle);
  }

  private open(): void {
    this.clearTimers();
    // A line that was up and went down reads 'reconnecting' until it is greeted again.
    if (this.status !== 'reconnecting') this.setStatus('connecting');
    let socket: WebSocketLike;
    try {
      socket = this.createSocket(this.url, [LINES_SUBPROTOCOL]);
    } catch {
      this.down();
      return;
    }
    this.socket = socket;
    this.deadlineTimer = this.timers.setTimeout(() => {
      if (this.socket === socket && this.status !== 'connected') this.drop(socket);
    }, this.connectTimeoutMs);
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.emit('close', { code: event.code, reason: event.reason });
      this.down();
    };
    socket.onerror = () => {
      // A close always follows an error; the close decides what comes next.
    };
  }

  private receive(socket: WebSocketLike, data: unknown): void {
    if (this.socket !== socket || typeof data !== 'string') return;
    const frames = socket.protocol === LINES_SUBPROTOCOL ? data.split('\n') : [data];
    for (const frame of frames) this.receiveFrame(socket, frame);
  }

  private receiveFrame(socket: WebSocketLike, data: string): void {
    if (this.socket !== socket) return; // an earlier line of the message closed it
    let frame: { type?: unknown };
    try {
      frame = JSON.parse(data) as { type?: unknown };
    } catch {
      return; // the server sends only JSON; anything else is not ours to act on
    }
    if (this.status !== 'connected') {
      if (!this.isGreeting(frame)) return;
      this.attempt = 0;
      if (this.deadlineTimer !== null) this.timers.clearTimeout(this.deadlineTimer);
      this.deadlineTimer = null;
      this.setStatus('connected');
      this.onReady(frame);
      return;
    }
    this.onFrame(frame);
  }

  private drop(socket: WebSocketLike): void {
    socket.onclose = socket.onmessage = socket.onopen = socket.onerror = null;
    try {
      socket.close(4000, 'no greeting in time');
    } catch {
      // already closing
    }
    this.down();
  }

  private down(): void {
    this.socket = null;
    if (this.deadlineTimer !== null) this.timers.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    if (this.stopped) return;
    this.onDown();
    this.setStatus('reconnecting');
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    if (this.deadlineTimer !== null) this.timers.clearTimeout(this.deadlineTimer);
    this.retryTimer = this.deadlineTimer = null;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    (this as Emitter<SocketEvents>).emit('status', status);
  }
}
