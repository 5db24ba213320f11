import { patch as applyPatch } from 'jsondiffpatch';
import superjson from 'superjson';

/** One entry of a `results` event (PROTOCOL.md): the whole result, or a patch against the last one pushed. */
export type PushedWireResult =
  | { readonly key: string; readonly data: string; readonly at: string }
  | { readonly key: string; readonly patch: unknown; readonly base: string; readonly at: string };

/**
 * Decodes pushed results, keeping per key the last one the server pushed (its parsed superjson
 * form and position): a patch applies to exactly that, whatever the cache holds meanwhile (a
 * fetch of its own may have replaced it). Trees are never changed in place: the cache's values
 * must stay immutable, and the next patch needs the tree as the server last sent it.
 *
 * @example const value = results.decode(result); if (value === undefined) refetchAndReRegister(result.key);
 */
export class PushedResults {
  readonly #held = new Map<string, { tree: unknown; at: string }>();

  /**
   * The new value of `result`; undefined for a patch on a base this client does not hold (the
   * key must be fetched and registered again, which makes the server send it whole next time).
   */
  decode(result: PushedWireResult): { value: unknown } | undefined {
    let tree: unknown;
    if ('data' in result) {
      tree = JSON.parse(result.data);
    } else {
      const held = this.#held.get(result.key);
      if (held === undefined || held.at !== result.base) {
        this.#held.delete(result.key);
        return undefined;
      }
      tree = applyPatch(structuredClone(held.tree), result.patch as never);
    }
    this.#held.set(result.key, { tree, at: result.at });
    return { value: superjson.deserialize(structuredClone(tree) as never) };
  }

  /** The key is no longer registered: the server forgets what it pushed for it too. */
  forget(key: string): void {
    this.#held.delete(key);
  }
}
