/**
 * Applies a jsondiffpatch delta (the format of pushed patches, PROTOCOL.md "Patches")
 * without changing its input: only the objects and arrays on changed paths are copied, the rest
 * is shared with the previous tree. jsondiffpatch's own `patch()` changes the tree in place, which
 * would force a full copy of every result for every patch (the cache's values must stay
 * immutable), and that copy was most of a client's cost per pushed change. Sharing unchanged rows
 * also keeps their identity across updates, which React memoization benefits from.
 *
 * Supported: added `[value]`, modified `[old, new]`, deleted `[old, 0, 0]`, nested object deltas,
 * array deltas (`_t: 'a'`: removals at old indices, insertions and nested changes at new ones).
 * Not produced by the server (no move detection, no text diffs): moves and text diffs throw.
 *
 * @example const next = applyPatch(previous, delta); // previous is unchanged
 */
export function applyPatch(tree: unknown, delta: unknown): unknown {
  const next = patchValue(tree, delta);
  if (next === DELETED) throw new PatchError('a patch cannot delete the whole result');
  return next;
}

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

const DELETED: unique symbol = Symbol('deleted');

type Delta = Record<string, unknown>;

function patchValue(value: unknown, delta: unknown): unknown {
  if (Array.isArray(delta)) {
    if (delta.length === 1) return delta[0];
    if (delta.length === 2) return delta[1];
    if (delta.length === 3 && delta[2] === 0) return DELETED;
    throw new PatchError(`unsupported delta ${JSON.stringify(delta).slice(0, 80)}`);
  }
  if (typeof delta !== 'object' || delta === null) throw new PatchError(`not a delta: ${String(delta)}`);
  if ((delta as Delta)._t === 'a') return patchArray(value, delta as Delta);
  return patchObject(value, delta as Delta);
}

function patchObject(value: unknown, delta: Delta): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new PatchError('an object delta on something that is not an object');
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(delta)) {
    // A plain assignment to `__proto__` would set the prototype: results never have that key.
    if (key === '__proto__') throw new PatchError('a delta for __proto__');
    // Own keys only: `toString` of a result is its own field or nothing, never Object's method.
    const next = patchValue(Object.hasOwn(out, key) ? out[key] : undefined, delta[key]);
    if (next === DELETED) delete out[key];
    else out[key] = next;
  }
  return out;
}

function patchArray(value: unknown, delta: Delta): unknown[] {
  if (!Array.isArray(value)) throw new PatchError('an array delta on something that is not an array');
  const out = value.slice();
  const removals: number[] = [];
  const inserts: [number, unknown][] = [];
  const changes: [number, unknown][] = [];
  for (const key of Object.keys(delta)) {
    if (key === '_t') continue;
    const item = delta[key];
    if (key.startsWith('_')) {
      if (!Array.isArray(item) || item[2] !== 0) throw new PatchError('array moves are not supported');
      removals.push(Number(key.slice(1)));
    } else if (Array.isArray(item) && item.length === 1) inserts.push([Number(key), item[0]]);
    else changes.push([Number(key), item]);
  }
  // As jsondiffpatch applies them: removals at old indices (last first), insertions at new
  // indices (first first), then changes at new indices.
  removals.sort((a, b) => b - a);
  for (const index of removals) out.splice(index, 1);
  inserts.sort((a, b) => a[0] - b[0]);
  for (const [index, item] of inserts) out.splice(index, 0, item);
  for (const [index, item] of changes) {
    const next = patchValue(out[index], item);
    if (next === DELETED) throw new PatchError('a deletion at a new array index');
    out[index] = next;
  }
  return out;
}
