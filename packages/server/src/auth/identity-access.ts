/**
 * An identity that records which of its fields a procedure read: a live query's result depends on
 * the identity only through them (its SQL parameters, its branches, the table-permission check),
 * so registrations of other identities that agree on those fields can share one execution.
 * Listing the keys (spreading, JSON.stringify, Object.keys) counts as reading all of them; `in`
 * and property reads count the one key.
 *
 * @example const seen = recordIdentityAccess(identity); run(seen.identity); seen.fields() // ['tenantId', 'role']
 */
export function recordIdentityAccess<T extends object>(identity: T): { identity: T; fields(): string[] } {
  const read = new Set<string>();
  const all = () => {
    for (const key of Reflect.ownKeys(identity)) if (typeof key === 'string') read.add(key);
  };
  const proxy = new Proxy(identity, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      all();
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
  return { identity: proxy, fields: () => [...read].sort() };
}

/**
 * The part of an identity a result depends on: the values of `fields` (sorted), as text. Two
 * identities with the same scope get the same result from the same execution.
 *
 * @example scopeOf({ userId: 'u1', tenantId: 't' }, ['tenantId']) === scopeOf({ userId: 'u2', tenantId: 't' }, ['tenantId'])
 */
export function scopeOf(identity: object, fields: readonly string[]): string {
  const values = identity as Record<string, unknown>;
  return JSON.stringify(fields.map((field) => [field, values[field] ?? null]));
}
