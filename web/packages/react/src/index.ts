/** @parley/react: React hooks over @parley/client, offering what the seed's hooks offered
 * plus resume and each message's pending or acknowledged state. */

export { useChat, type UseChatOptions, type ShownMessage, type PersonRef, type DeliveryState } from './useChat.js';
export { useMessagePal, type UseMessagePalOptions, type ShownDirectMessage } from './useMessagePal.js';
