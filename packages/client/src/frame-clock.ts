import {
  type FramePosition,
  formatFramePosition,
  laterPosition,
  parseFramePosition,
} from './frame-position.ts';

/**
 * Remembers the highest frame this client's own writes reached, so later reads can ask the
 * server to wait for it (`minFrame`): the user always sees their own writes, even when the read
 * lands on another server. A newer generation replaces an older one (frames restart there).
 *
 * @example
 * clock.observe('g-7f3a:42');   // from a mutation result
 * clock.minFrame                // 'g-7f3a:42', sent with the next query
 */
export class FrameClock {
  #highest: FramePosition | null = null;
  readonly #listeners = new Set<() => void>();

  /** The position id to send as `minFrame`, or null before the first write. */
  get minFrame(): string | null {
    return this.#highest === null ? null : formatFramePosition(this.#highest);
  }

  get position(): FramePosition | null {
    return this.#highest;
  }

  /** Records a position id returned by a mutation; ignores anything unparsable. */
  observe(positionId: string): void {
    const position = parseFramePosition(positionId);
    if (position === null) return;
    const next = laterPosition(this.#highest, position);
    if (next === this.#highest) return;
    this.#highest = next;
    for (const listener of this.#listeners) listener();
  }

  /** Forgets the remembered frame, e.g. after the server reports a generation change. */
  reset(): void {
    this.#highest = null;
    for (const listener of this.#listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
