import { PushedResults } from '@liveframe/client';
import fc from 'fast-check';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { ResultPatches } from '../src/live/result-patches.ts';

/** Rows as live queries return them: ids (sometimes repeated), nested values, dates. */
const rowArb = fc.record({
  id: fc.integer({ min: 1, max: 12 }),
  name: fc.string({ maxLength: 6 }),
  total: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
  at: fc.date({ noInvalidDate: true }),
  tags: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
});
const resultArb = fc.oneof(
  fc.array(rowArb, { maxLength: 12 }),
  fc.record({ rows: fc.array(rowArb, { maxLength: 12 }), count: fc.nat(), note: fc.option(fc.string()) }),
  fc.option(rowArb),
  // superjson itself refuses these keys (prototype pollution), so no live result has them.
  fc.jsonValue().filter((value) => !/"(__proto__|prototype|constructor)"/.test(JSON.stringify(value))),
);

describe('pushed patches', () => {
  it('the server patch applied by the client decoder gives exactly the new result', () => {
    const patches = new ResultPatches();
    fc.assert(
      fc.property(resultArb, resultArb, (before, after) => {
        const base = superjson.stringify(before);
        const next = superjson.stringify(after);
        const client = new PushedResults();
        client.decode({ key: 'k', data: base }, 'g:1');
        const patch = base === next ? undefined : patches.patch(base, next, Buffer.byteLength(next));
        const decoded =
          patch === undefined
            ? client.decode({ key: 'k', data: next }, 'g:2')
            : client.decode({ key: 'k', patch, base: 'g:1' }, 'g:2');
        expect(decoded).toBeDefined();
        expect(superjson.stringify(decoded!.value)).toBe(superjson.stringify(superjson.parse(next)));
      }),
      { numRuns: 2000 },
    );
  });

  it('is much smaller than the result for a row added to a page of rows', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      id: 100 - i,
      customer: `customer ${i}`,
      total: i * 3,
    }));
    const next = [{ id: 101, customer: 'new', total: 7 }, ...rows.slice(0, 49)];
    const text = superjson.stringify(next);
    const patch = new ResultPatches().patch(superjson.stringify(rows), text, text.length);
    expect(patch).toBeDefined();
    expect(JSON.stringify(patch).length * 10).toBeLessThan(text.length);
  });

  it('never sends a patch that would not rebuild fields named like Object methods or array markers', () => {
    const patches = new ResultPatches();
    const cases: [unknown, unknown][] = [
      [{ valueOf: '' }, { id: 1, valueOf: 'x' }],
      [{ toString: false }, { rows: [] }],
      [{ _t: '' }, { rows: [], total: 0 }],
      [[{ id: 1, constructor: 1 }], [{ id: 1, constructor: 2 }]],
    ];
    for (const [before, after] of cases) {
      const base = JSON.stringify({ json: before });
      const next = JSON.stringify({ json: after });
      const client = new PushedResults();
      client.decode({ key: 'k', data: base }, 'g:1');
      const patch = patches.patch(base, next, next.length);
      const decoded =
        patch === undefined
          ? client.decode({ key: 'k', data: next }, 'g:2')
          : client.decode({ key: 'k', patch, base: 'g:1' }, 'g:2');
      expect(decoded?.value).toEqual(after);
    }
  });
});
