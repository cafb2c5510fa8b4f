/** Parley's HTTP API: register, log in and out, workspaces, members, channels, history
 * paging and direct messages. In a browser the session travels in the `connect.sid`
 * cookie; Node passes a `fetch` that keeps it. */

import type * as Auth from './generated/auth.js';
import type * as Chat from './generated/chat.js';
import type * as Dm from './generated/dm.js';
import type * as Http from './generated/http.js';
import type * as Unread from './generated/unread.js';
import type { ErrorCode } from './generated/errors.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /** Prefix of every path: '' for the page's own origin, or `http://127.0.0.1:8000`. */
  baseUrl?: string;
  fetch?: FetchLike;
}

/** A refusal: the status and the body's `{error: {code, message, details}}`. */
export class ParleyHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'network',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ParleyHttpError';
  }
}

export type Page = {
  before?: number;
  after?: number;
  limit?: number;
};

export class ParleyHttp {
  private readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;

  constructor(options: HttpOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    if (options.fetch) this.fetchImpl = options.fetch;
    else if (typeof globalThis.fetch === 'function') {
      // Called through a closure: a browser's fetch refuses to run with another `this`.
      this.fetchImpl = (input, init) => globalThis.fetch(input, init);
    } else throw new Error('no global fetch: pass `fetch`');
  }

  register(body: Auth.RegisterUser): Promise<Auth.User> {
    return this.call('POST', '/api/auth/register', body);
  }

  login(body: Http.LoginBody): Promise<Auth.User> {
    return this.call('POST', '/api/auth/login', body);
  }

  logout(): Promise<Http.Ok> {
    return this.call('POST', '/api/auth/logout');
  }

  me(): Promise<Auth.User> {
    return this.call('GET', '/api/users/me');
  }

  /** The user with this username (case-insensitive); 404 when nobody has it. */
  userByUsername(username: string): Promise<Auth.User> {
    return this.call('GET', `/api/users/by-username/${encodeURIComponent(username)}`);
  }

  /** The users with these ids (unknown ids are left out). */
  users(ids: number[]): Promise<Auth.User[]> {
    return this.call('GET', `/api/users${query({ ids: ids.join(',') })}`);
  }

  workspaces(): Promise<Chat.Workspace[]> {
    return this.call('GET', '/api/workspaces');
  }

  createWorkspace(body: Http.CreateWorkspaceBody): Promise<Chat.Workspace> {
    return this.call('POST', '/api/workspaces', body);
  }

  workspace(workspaceId: number): Promise<Chat.WorkspaceDetail> {
    return this.call('GET', `/api/workspaces/${workspaceId}`);
  }

  addMember(workspaceId: number, body: Http.AddMemberBody): Promise<Chat.Member> {
    return this.call('POST', `/api/workspaces/${workspaceId}/members`, body);
  }

  removeMember(workspaceId: number, userId: number): Promise<Http.Ok> {
    return this.call('DELETE', `/api/workspaces/${workspaceId}/members/${userId}`);
  }

  channels(workspaceId: number): Promise<Chat.Channel[]> {
    return this.call('GET', `/api/workspaces/${workspaceId}/channels`);
  }

  createChannel(workspaceId: number, body: Http.CreateChannelBody): Promise<Chat.Channel> {
    return this.call('POST', `/api/workspaces/${workspaceId}/channels`, body);
  }

  /** A page of a channel's messages, oldest first; `before` a seq pages upward. */
  history(channelId: number, page: Page = {}): Promise<Chat.ChannelMessage[]> {
    return this.call('GET', `/api/channels/${channelId}/messages${query(page)}`);
  }

  postMessage(body: Http.PostMessageBody): Promise<Chat.ChannelMessage> {
    return this.call('POST', '/api/messages', body);
  }

  markRead(messageId: number, channelId: number): Promise<Http.Ok> {
    return this.call('POST', `/api/messages/${messageId}/read`, { channelId } satisfies Http.MarkReadBody);
  }

  /** The signed-in user's unread count in one channel (their own and deleted messages left out). */
  unread(channelId: number): Promise<Unread.Unread> {
    return this.call('GET', `/api/channels/${channelId}/unread`);
  }

  /** Every channel's and DM conversation's unread count of the signed-in user. */
  allUnread(): Promise<Unread.UserUnread> {
    return this.call('GET', '/api/users/me/unread');
  }

  openDirectChannel(userId: number): Promise<Chat.Channel> {
    return this.call('POST', '/api/channels/dm', { userId } satisfies Http.OpenDirectBody);
  }

  directChannels(): Promise<Chat.Channel[]> {
    return this.call('GET', '/api/users/me/dms');
  }

  /** The inbox: one entry per conversation, with its last message and unread count. */
  conversations(): Promise<Dm.InboxEntry[]> {
    return this.call('GET', '/api/messagepal/conversations');
  }

  conversationMessages(conversationId: string, page: Page = {}): Promise<Dm.DirectMessage[]> {
    return this.call('GET', `/api/messagepal/conversations/${encodeURIComponent(conversationId)}/messages${query(page)}`);
  }

  block(userId: number): Promise<Http.Ok> {
    return this.call('POST', '/api/messagepal/blocks', { userId } satisfies Http.OpenDirectBody);
  }

  unblock(userId: number): Promise<Http.Ok> {
    return this.call('DELETE', `/api/messagepal/blocks/${userId}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ParleyHttpError(0, 'network', `the server could not be reached: ${String(error)}`);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: reported below by status
    }
    if (!response.ok) {
      const error = (parsed as Http.ErrorResponse | undefined)?.error;
      throw new ParleyHttpError(
        response.status,
        error?.code ?? 'internal',
        error?.message ?? `HTTP ${response.status}`,
        error?.details,
      );
    }
    return parsed as T;
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '');
  if (entries.length === 0) return '';
  return '?' + entries.map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&');
}
