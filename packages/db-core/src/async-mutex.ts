/**
 * FIFO mutual exclusion for async work. One local write connection runs one transaction at a
 * time; without this, a `run()` issued while another caller's transaction awaits would silently
 * join that transaction.
 */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();
  #locked = false;

  get locked(): boolean {
    return this.#locked;
  }

  async runExclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.#locked = true;
    try {
      return await fn();
    } finally {
      this.#locked = false;
      release();
    }
  }
}
