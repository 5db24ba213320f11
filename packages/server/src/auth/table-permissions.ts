import type { Identity } from './identity.ts';

/**
 * Which tables a role may read. Row-level scoping (tenant) is applied by the procedures' SQL
 * (`WHERE tenant_id = ?` with the identity's tenant); table-level rights are enforced under
 * every statement through its engine-derived read-set, so a join or subquery into a forbidden
 * table fails too, and a subscription never learns about a table outside this set.
 *
 * @example const perms = tablePermissions({ admin: '*', analyst: ['orders', 'products'] });
 */
export interface TablePermissions {
  canRead(identity: Identity, table: string): boolean;
}

export function tablePermissions(
  byRole: Readonly<Record<string, '*' | readonly string[]>>,
): TablePermissions {
  const sets = new Map<string, '*' | Set<string>>(
    Object.entries(byRole).map(([role, tables]) => [
      role,
      tables === '*' ? '*' : new Set(tables.map((t) => t.toLowerCase())),
    ]),
  );
  return {
    canRead(identity, table) {
      const allowed = sets.get(identity.role);
      if (allowed === undefined) return false;
      return allowed === '*' || allowed.has(table.toLowerCase());
    },
  };
}
