import { describe, expect, it } from 'vitest';
import { digestKey, WireKeys } from '../src/wire-keys.ts';

describe('WireKeys', () => {
  it('maps both ways and forgets dropped keys', () => {
    const keys = new WireKeys();
    const hash = '[["orders","list"],{"input":{"page":0},"type":"query"}]';
    const wire = keys.of(hash);
    expect(wire).toBe(digestKey(hash));
    expect(keys.of(hash)).toBe(wire);
    expect(keys.hashOf(wire)).toBe(hash);
    keys.drop(hash);
    expect(keys.hashOf(wire)).toBeUndefined();
    expect(keys.peek(hash)).toBeUndefined();
  });

  it('never gives two held hashes one key: a colliding digest falls back to the full hash', () => {
    const keys = new WireKeys(() => 'qsame');
    expect(keys.of('["a"]')).toBe('qsame');
    expect(keys.of('["b"]')).toBe('["b"]');
    expect(keys.hashOf('qsame')).toBe('["a"]');
    expect(keys.hashOf('["b"]')).toBe('["b"]');
    // Once the first is dropped the digest is free again.
    keys.drop('["a"]');
    expect(keys.of('["c"]')).toBe('qsame');
    keys.retain((hash) => hash === '["c"]');
    expect(keys.hashOf('["b"]')).toBeUndefined();
    expect(keys.hashOf('qsame')).toBe('["c"]');
  });

  it('digests differ for the keys of 100,000 distinct queries', () => {
    const seen = new Set<string>();
    for (let page = 0; page < 100_000; page++) {
      seen.add(digestKey(`[["orders","list"],{"input":{"page":${page},"pageSize":10},"type":"query"}]`));
    }
    expect(seen.size).toBe(100_000);
  });
});
