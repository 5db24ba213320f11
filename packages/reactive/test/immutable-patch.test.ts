import fc from 'fast-check';
import { create } from 'jsondiffpatch';
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../src/immutable-patch.ts';

// The server's differ settings (packages/server/src/live/result-patches.ts); jsondiffpatch's
// own patch is the reference.
const differ = create({
  objectHash: (item: object | null, index?: number) => {
    const id = (item as { id?: unknown } | null)?.id;
    return typeof id === 'number' || typeof id === 'string' ? `id:${id}` : `$$index:${index ?? 0}`;
  },
  arrays: { detectMove: false },
  omitRemovedValues: true,
});

const rowArb = fc.record({
  id: fc.integer({ min: 1, max: 8 }),
  name: fc.string({ maxLength: 4 }),
  n: fc.option(fc.integer()),
  tags: fc.array(fc.integer({ max: 3 }), { maxLength: 3 }),
});
const treeArb = fc
  .oneof(
    fc.record({ json: fc.array(rowArb, { maxLength: 10 }) }),
    fc.record({ json: fc.record({ rows: fc.array(rowArb, { maxLength: 10 }), total: fc.nat() }) }),
    fc.record({ json: fc.jsonValue({ maxDepth: 4 }) }),
  )
  // jsondiffpatch reads keys through the prototype chain (its diff and patch of `valueOf`...)
  // and takes a `_t` field for its array marker;
  // the server checks every patch it makes (result-patches.ts), so those never reach a client.
  .filter(
    (tree) =>
      !/"(__proto__|toString|valueOf|constructor|hasOwnProperty|isPrototypeOf|propertyIsEnumerable|toLocaleString|prototype|_t)"/.test(
        JSON.stringify(tree),
      ),
  );

describe('immutable patches', () => {
  it('give what jsondiffpatch gives, and leave their input unchanged', () => {
    fc.assert(
      fc.property(treeArb, treeArb, (before, after) => {
        const delta = differ.diff(before, after);
        if (delta === undefined) return;
        const snapshot = JSON.stringify(before);
        const next = applyPatch(before, delta);
        expect(next).toEqual(after);
        expect(JSON.stringify(before)).toBe(snapshot);
        expect(next).toEqual(differ.patch(structuredClone(before), delta));
      }),
      { numRuns: 3000 },
    );
  });

  it('shares the unchanged rows with the previous result', () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ id: 20 - i, name: `r${i}` }));
    const before = { json: rows };
    const after = { json: [{ id: 21, name: 'new' }, ...rows.slice(0, 19)] };
    const next = applyPatch(before, differ.diff(before, after)) as typeof after;
    expect(next).toEqual(after);
    for (let i = 1; i < 20; i++) expect(next.json[i]).toBe(rows[i - 1]);
  });
});
