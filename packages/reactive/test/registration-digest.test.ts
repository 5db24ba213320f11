import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registrationDigest } from '../src/index.ts';

describe('registrationDigest', () => {
  it('ignores order and duplicates', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 20 }), (keys) => {
        const shuffled = [...keys].reverse();
        expect(registrationDigest(shuffled)).toBe(registrationDigest([...keys, ...keys]));
      }),
    );
  });

  it('tells different sets apart, including ones a plain join would confuse', () => {
    expect(registrationDigest(['a,b'])).not.toBe(registrationDigest(['a', 'b']));
    expect(registrationDigest(['1:a'])).not.toBe(registrationDigest(['a']));
    expect(registrationDigest([])).not.toBe(registrationDigest(['']));
    expect(registrationDigest(['orders.list', 'kpis'])).not.toBe(registrationDigest(['orders.list', 'kpi']));
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(registrationDigest([`["orders.byId",{"id":${i}}]`]));
    expect(seen.size).toBe(20_000);
  });

  it('is 16 hex digits', () => {
    expect(registrationDigest(['x'])).toMatch(/^[0-9a-f]{16}$/);
  });
});
