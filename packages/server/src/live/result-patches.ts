import { applyPatch, sameJson } from '@liveframe/reactive';
import { create } from 'jsondiffpatch';

/**
 * Rows are matched by their `id` (or `key`) when they have one, so a row inserted at the top of
 * a list is one insertion, not a change of every row below it.
 */
function objectHash(item: object | null, index?: number): string {
  if (typeof item !== 'object' || item === null) return `$$index:${index ?? 0}`;
  const { id, key } = item as { id?: unknown; key?: unknown };
  if (typeof id === 'string' || typeof id === 'number') return `id:${id}`;
  if (typeof key === 'string' || typeof key === 'number') return `key:${key}`;
  return `$$index:${index ?? 0}`;
}

// Removed values are left out: the client holds them already, and they would be most of the bytes.
const differ = create({ objectHash, arrays: { detectMove: false }, omitRemovedValues: true });

/**
 * Parsed outputs kept for diffing (a run's output is parsed once however many bases use it),
 * bounded by count and by the size of their texts: results can be up to the push limit each.
 */
const MAX_TREES = 512;
const MAX_TREE_CHARS = 16 * 1024 * 1024;

/**
 * Compact pushes: the change from the result a subscriber holds to the new one, as a
 * jsondiffpatch delta of the parsed superjson text (PROTOCOL.md "Patches"). Computed once per run
 * and base (every subscriber that holds the same base shares it).
 */
export class ResultPatches {
  readonly #trees = new Map<string, unknown>();
  #chars = 0;

  /**
   * The delta from `base` to `next` (superjson texts), or undefined when it is not smaller than
   * `next` or does not give `next` when applied as clients apply it (jsondiffpatch reads object
   * keys through the prototype chain: a result with a `valueOf` field gets a wrong delta), so a
   * client never gets a patch that would not rebuild the result exactly.
   */
  patch(base: string, next: string, nextBytes: number): unknown {
    const baseTree = this.#tree(base);
    const nextTree = this.#tree(next);
    try {
      // jsondiffpatch throws on some of those fields ("functions are not supported"): whole then.
      const delta = differ.diff(baseTree, nextTree);
      if (delta === undefined || JSON.stringify(delta).length >= nextBytes) return undefined;
      return sameJson(applyPatch(baseTree, delta), nextTree) ? delta : undefined;
    } catch {
      return undefined;
    }
  }

  #tree(text: string): unknown {
    let tree = this.#trees.get(text);
    if (tree === undefined) {
      tree = JSON.parse(text);
      if (this.#trees.size >= MAX_TREES || this.#chars + text.length > MAX_TREE_CHARS) {
        this.#trees.clear();
        this.#chars = 0;
      }
      this.#trees.set(text, tree);
      this.#chars += text.length;
    }
    return tree;
  }
}
