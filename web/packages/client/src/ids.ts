/** Client-made identifiers. */

/** A fresh `clientMsgId` (the contracts allow `[A-Za-z0-9_.:-]`, at most 64 characters). */
export function newClientMsgId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  // Only where no secure context offers randomUUID; uniqueness per sender is all it needs.
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

/** The id of the conversation between two users, as dm names it. */
export function conversationIdOf(userA: number, userB: number): string {
  return `conv_${Math.min(userA, userB)}_${Math.max(userA, userB)}`;
}
