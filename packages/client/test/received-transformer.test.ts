import fc from 'fast-check';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { receivedTransformer } from '../src/received-transformer.ts';

/** What tRPC hands a link's transformer: the parsed JSON of what the server's superjson made. */
const wire = (value: unknown) => JSON.parse(JSON.stringify(superjson.serialize(value)));

const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue(),
    fc.date({ noInvalidDate: true }),
    fc.bigInt(),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
    fc.uniqueArray(fc.integer(), { maxLength: 4 }).map((items) => new Set(items)),
    fc.array(fc.tuple(fc.string({ maxLength: 4 }), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
  ),
})).value;

describe('receivedTransformer', () => {
  it('decodes in place exactly what superjson decodes from a copy', () => {
    fc.assert(
      fc.property(values, (value) => {
        expect(receivedTransformer.deserialize(wire(value))).toEqual(superjson.deserialize(wire(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps shared references and decodes dates, maps and bigints', () => {
    const row = { id: 1n, at: new Date(1_000) };
    const decoded = receivedTransformer.deserialize(
      wire({ rows: [row, row], index: new Map([[1, row]]) }),
    ) as {
      rows: (typeof row)[];
      index: Map<number, typeof row>;
    };
    expect(decoded.rows[0]).toBe(decoded.rows[1]);
    expect(decoded.index.get(1)).toBe(decoded.rows[0]);
    expect(decoded.rows[0]).toEqual(row);
  });

  it('encodes as superjson does', () => {
    const value = { at: new Date(0), n: 2n };
    expect(receivedTransformer.serialize(value)).toEqual(superjson.serialize(value));
  });
});
