/**
 * A fresh subscription id (`[A-Za-z0-9_-]`, 32 chars), as PROTOCOL.md asks for one per tab.
 * `crypto.randomUUID` exists only in secure contexts (https, localhost): a dashboard opened as
 * `http://192.168.1.20:3000` on a LAN has only `getRandomValues`.
 *
 * @example newSubscriptionId() // 'f3a09c1e5b7d4e2a9c0b1d2e3f4a5b6c'
 */
export function newSubscriptionId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
