import { patch as applyPatch } from 'jsondiffpatch';
import superjson from 'superjson';

/** One entry of a `results` event (PROTOCOL.md): the whole result, or a patch against the last one pushed. */
export type PushedWireResult =
  | { readonly key: string; readonly data: string; readonly at: string }
  | { readonly key: string; readonly patch: unknown; readonly base: string; readonly at: string };

/**
 * Decodes pushed results, keeping per key the last one the server pushed (as JSON text, with its
 * position): a patch applies to exactly that, whatever the cache holds meanwhile (a fetch of its
 * own may have replaced it). Kept as text, not as a tree: parsing it afresh for each patch is
 * cheaper than cloning a tree (twice: the cache's values must stay immutable), and the new
 * tree can then be handed to superjson, which changes it in place.
 *
 * @example const value = results.decode(result); if (value === undefined) refetchAndReRegister(result.key);
 */
export class PushedResults {
  readonly #held = new Map<string, { text: string; at: string }>();

  /**
   * The new value of `result`; undefined for a patch on a base this client does not hold (the
   * key must be fetched and registered again, which makes the server send it whole next time).
   */
  decode(result: PushedWireResult): { value: unknown } | undefined {
    if ('data' in result) {
      this.#held.set(result.key, { text: result.data, at: result.at });
      return { value: superjson.parse(result.data) };
    }
    const held = this.#held.get(result.key);
    if (held === undefined || held.at !== result.base) {
      this.#held.delete(result.key);
      return undefined;
    }
    const tree = applyPatch(JSON.parse(held.text), result.patch as never);
    this.#held.set(result.key, { text: JSON.stringify(tree), at: result.at });
    return { value: superjson.deserialize(tree as never) };
  }

  /** The key is no longer registered: the server forgets what it pushed for it too. */
  forget(key: string): void {
    this.#held.delete(key);
  }
}
