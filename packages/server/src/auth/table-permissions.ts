import type { Identity } from './identity.ts';

/**
 * Which tables an identity's statements may touch. Row-level scoping (tenant) is applied by the
 * procedures' SQL (`WHERE tenant_id = ?` with the identity's tenant); table-level rights are
 * enforced under every statement through its engine-derived read-set, so a join or subquery into
 * a forbidden table fails too, and a subscription never learns about a table outside this set.
 *
 * @example const perms: TablePermissions<MyIdentity> = { canRead: (who, table) => who.admin || table !== 'payroll' };
 */
export interface TablePermissions<TIdentity extends object = Identity> {
  canRead(identity: TIdentity, table: string): boolean;
}

/**
 * Table rights by role: `'*'` for every table or a list. The role is the identity's `role`
 * field unless `roleOf` says where it is; an identity without a known role may read nothing.
 *
 * @example const perms = tablePermissions({ admin: '*', analyst: ['orders', 'products'] });
 */
export function tablePermissions<TIdentity extends object = Identity>(
  byRole: Readonly<Record<string, '*' | readonly string[]>>,
  options: { readonly roleOf?: (identity: TIdentity) => string | undefined } = {},
): TablePermissions<TIdentity> {
  const sets = new Map<string, '*' | Set<string>>(
    Object.entries(byRole).map(([role, tables]) => [
      role,
      tables === '*' ? '*' : new Set(tables.map((t) => t.toLowerCase())),
    ]),
  );
  const roleOf = options.roleOf ?? defaultRole;
  return {
    canRead(identity, table) {
      const role = roleOf(identity);
      const allowed = role === undefined ? undefined : sets.get(role);
      if (allowed === undefined) return false;
      return allowed === '*' || allowed.has(table.toLowerCase());
    },
  };
}

function defaultRole(identity: object): string | undefined {
  const role = (identity as { role?: unknown }).role;
  return typeof role === 'string' ? role : undefined;
}
