/**
 * A digest of a set of live-query keys, order-independent, that a client and a server compute
 * alike: the server's `live` ack carries the digest of the keys it holds for the subscription, and
 * a client skips re-registering only when the digest of its mounted keys is equal. Equal counts
 * are not enough (the server may hold other keys than the client, e.g. after a re-registration it
 * partly dropped).
 *
 * Synchronous and dependency-free on purpose (browsers have no synchronous SHA): two independent
 * 32-bit FNV-1a lanes over the sorted, length-prefixed keys, 16 hex digits. It guards against
 * honest mismatches, not against an adversary (a client can only hurt its own subscription).
 *
 * @example if (ack.digest === registrationDigest(mountedKeys)) skipReRegistration();
 */
export function registrationDigest(keys: Iterable<string>): string {
  const sorted = [...new Set(keys)].sort();
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const feed = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      a = Math.imul(a ^ unit, 0x01000193) >>> 0;
      b = Math.imul(b ^ unit, 0x01000193) >>> 0;
      b = (b ^ (b >>> 15)) >>> 0;
    }
  };
  for (const key of sorted) {
    // Length-prefixed, so ["a,b"] and ["a", "b"] differ whatever the keys contain.
    feed(`${key.length}:`);
    feed(key);
  }
  feed(`#${sorted.length}`);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
