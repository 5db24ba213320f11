import { patch as applyPatch } from 'jsondiffpatch';
import superjson from 'superjson';

/** One entry of a `results` event (PROTOCOL.md): the whole result, or a patch against the last one pushed. */
export type PushedWireResult =
  | { readonly key: string; readonly data: string; readonly at: string }
  | { readonly key: string; readonly patch: unknown; readonly base: string; readonly at: string };

/**
 * Decodes pushed results, keeping per key the last one the server pushed (its parsed superjson
 * form, with its position): a patch applies to exactly that, whatever the cache holds meanwhile
 * (a fetch of its own may have replaced it). The kept tree is private and patched in place:
 * `superjson.deserialize` copies what it is given (without `inPlace`), so the values handed to
 * the cache share nothing with it and stay immutable.
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
      tree = applyPatch(held.tree, result.patch as never);
    }
    this.#held.set(result.key, { tree, at: result.at });
    return { value: superjson.deserialize(tree as never) };
  }

  /** The key is no longer registered: the server forgets what it pushed for it too. */
  forget(key: string): void {
    this.#held.delete(key);
  }
}
