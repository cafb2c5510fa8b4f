/** @parley/react: React hooks over @parley/client, offering what the seed's hooks offered
 * plus resume and each message's pending or acknowledged state. */

export { useChat, shownMessages, type UseChatOptions, type ShownMessage } from './useChat.js';
export { useMessagePal, shownDirectMessages, type UseMessagePalOptions, type ShownDirectMessage } from './useMessagePal.js';
export { ChatStore, type ChatSnapshot, type ChannelSnapshot, type DeliveryState, type PersonRef, type FailedMessage, type Refusal } from './chatStore.js';
export { MessagePalStore, type MessagePalSnapshot } from './messagePalStore.js';
