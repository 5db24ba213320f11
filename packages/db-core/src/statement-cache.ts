/**
 * A bounded LRU map. A JS Map iterates in insertion order, so re-inserting on every hit keeps
 * the least recently used entry first, which is the one evicted.
 */
export class StatementCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #capacity: number;
  #evictions = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
      this.#evictions++;
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  get evictions(): number {
    return this.#evictions;
  }
}
