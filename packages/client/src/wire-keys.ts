/**
 * Short keys for live queries on the wire, by react-query hash. The server echoes a query's key
 * in every event that concerns it and every viewer parses every byte of every event: the hash
 * (`[["dashboard","kpis"],{"input":{…},"type":"query"}]`, JSON-escaped once more inside the
 * event) was a quarter of a pushed dashboard update. The short key is a 64-bit digest of the hash,
 * so every tab calls the same query by the same key and the server can still send one shared
 * event to all of them (per-tab keys made it encode one per subscriber). Keys only have to be
 * unique within a subscription: a digest another mounted query already uses falls back to the
 * full hash, so no two queries of this registry ever share a key.
 *
 * @example const keys = new WireKeys(); keys.of(hash) // 'q1x2k9c0b7a3mf'
 */
export class WireKeys {
  readonly #shorten: (hash: string) => string;
  readonly #byHash = new Map<string, string>();
  readonly #byWire = new Map<string, string>();

  /** `shorten` is for tests (to force collisions); the default is {@link digestKey}. */
  constructor(shorten: (hash: string) => string = digestKey) {
    this.#shorten = shorten;
  }

  /** The wire key of `hash`, assigned on first use. */
  of(hash: string): string {
    let wire = this.#byHash.get(hash);
    if (wire === undefined) {
      const short = this.#shorten(hash);
      wire = this.#byWire.has(short) ? hash : short;
      this.#byHash.set(hash, wire);
      this.#byWire.set(wire, hash);
    }
    return wire;
  }

  /** The wire key `hash` has, if any (without assigning one). */
  peek(hash: string): string | undefined {
    return this.#byHash.get(hash);
  }

  /** The hash a wire key stands for; undefined for keys this registry does not hold. */
  hashOf(wire: string): string | undefined {
    return this.#byWire.get(wire);
  }

  /** Forgets `hash` (no longer registered), freeing its key. */
  drop(hash: string): void {
    const wire = this.#byHash.get(hash);
    if (wire === undefined) return;
    this.#byHash.delete(hash);
    this.#byWire.delete(wire);
  }

  /** Forgets every hash `keep` rejects. */
  retain(keep: (hash: string) => boolean): void {
    for (const hash of [...this.#byHash.keys()]) if (!keep(hash)) this.drop(hash);
  }
}

/**
 * `q` + two independent 32-bit FNV-1a-style digests of the UTF-16 code units, in base 36 (at most
 * 15 characters). Never starts with `[` as react-query hashes do, so a fallback cannot collide.
 */
export function digestKey(hash: string): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < hash.length; i++) {
    const c = hash.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  a ^= a >>> 16;
  return `q${(a >>> 0).toString(36)}${(b >>> 0).toString(36).padStart(7, '0')}`;
}
