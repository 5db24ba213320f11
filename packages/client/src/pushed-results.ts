import { applyPatch } from '@liveframe/reactive';
import superjson, { type SuperJSONResult } from 'superjson';

/**
 * One entry of a `results` event (PROTOCOL.md): the whole result, or a patch against the last one
 * pushed. Without `at` the result was read at the event's `position`.
 */
export type PushedWireResult =
  | { readonly key: string; readonly data: string; readonly at?: string }
  | { readonly key: string; readonly patch: unknown; readonly base: string; readonly at?: string };

/**
 * Decodes pushed results, keeping per key the last one the server pushed (its parsed superjson
 * form, with its position): a patch applies to exactly that, whatever the cache holds meanwhile
 * (a fetch of its own may have replaced it). Patches make a new tree that shares every unchanged
 * part with the old one (`applyPatch` of @liveframe/reactive), so a change costs in proportion to its size; the
 * value handed to the cache shares those parts too when the result has no superjson annotations
 * (dates, maps...; with annotations superjson decodes a copy). Cached values are immutable, as
 * react-query requires: never change them in place.
 *
 * @example const value = results.decode(result); if (value === undefined) refetchAndReRegister(result.key);
 */
export class PushedResults {
  readonly #held = new Map<string, { tree: SuperJSONResult; at: string }>();

  /**
   * The new value of `result` of an event at `position`; undefined for a patch on a base this
   * client does not hold (the key must be fetched and registered again, which makes the server
   * send it whole next time).
   */
  decode(result: PushedWireResult, position: string): { value: unknown } | undefined {
    let tree: SuperJSONResult;
    if ('data' in result) {
      tree = JSON.parse(result.data) as SuperJSONResult;
    } else {
      const held = this.#held.get(result.key);
      if (held === undefined || held.at !== result.base) {
        this.#held.delete(result.key);
        return undefined;
      }
      try {
        tree = applyPatch(held.tree, result.patch) as SuperJSONResult;
      } catch {
        // A delta this decoder cannot apply: as good as a lost base (refetch, resend whole).
        this.#held.delete(result.key);
        return undefined;
      }
    }
    this.#held.set(result.key, { tree, at: result.at ?? position });
    // Annotations are applied by changing the tree: then on a copy, never on the kept one.
    const annotated = tree.meta?.values !== undefined || tree.meta?.referentialEqualities !== undefined;
    return { value: superjson.deserialize(tree, { inPlace: !annotated }) };
  }

  /** The key is no longer registered: the server forgets what it pushed for it too. */
  forget(key: string): void {
    this.#held.delete(key);
  }
}
