/** @parley/client: Parley's typed client for browsers and Node 20, with no runtime dependencies. */

export { ChatSocket, type ChatSocketEvents, type ChatPending, type SendOptions } from './chatSocket.js';
export { MessagePalSocket, type MessagePalSocketEvents, type DirectPending } from './messagePalSocket.js';
export {
  ReconnectingSocket,
  LINES_SUBPROTOCOL,
  pageSocketUrl,
  type ConnectionStatus,
  type SocketOptions,
  type SocketFactory,
  type WebSocketLike,
  type EventTargetLike,
  type Timers,
} from './reconnecting.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { Emitter, type Listener } from './emitter.js';
export { Outbox, type PendingSend, type PendingState, type FailedSend } from './outbox.js';
export { StreamPositions } from './streams.js';
export { ParleyHttp, ParleyHttpError, type HttpOptions, type FetchLike, type Page } from './http.js';
export { newClientMsgId, conversationIdOf } from './ids.js';

// Frame and body types, generated from contracts/schemas/.
export type * as ChatClient from './generated/chatClientFrame.js';
export type * as ChatServer from './generated/chatServerFrame.js';
export type * as MessagePalClient from './generated/messagePalClientFrame.js';
export type * as MessagePalServer from './generated/messagePalServerFrame.js';
export type * as Auth from './generated/auth.js';
export type * as Chat from './generated/chat.js';
export type * as Dm from './generated/dm.js';
export type * as Http from './generated/http.js';
export type * as Unread from './generated/unread.js';
export type { ErrorCode, ErrorBody } from './generated/errors.js';
