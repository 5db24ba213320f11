/**
 * The identity liveframe's own authenticators produce (signed tokens, `jwtAuthenticator`'s
 * default claims): the user, the tenant whose rows they see, the role that decides tables. Apps
 * with their own `authenticate` choose their own shape (any object): liveframe never reads its
 * fields, except `role` in {@link tablePermissions}' default.
 */
export interface Identity {
  readonly userId: string;
  readonly tenantId: string;
  readonly role: string;
}

/**
 * Turns a bearer token (or its absence) into an identity; `null` rejects the request with
 * `UNAUTHENTICATED`. Pluggable: pass your own to `createLiveframeServer({ authenticate })`; the
 * identity's shape is yours (`Authenticator<{ sub: string; org?: string }>`).
 *
 * @example const authenticate: Authenticator = async (token) => (token === 'dev' ? devIdentity : null);
 */
export type Authenticator<TIdentity extends object = Identity> = (
  token: string | undefined,
) => Promise<TIdentity | null> | TIdentity | null;

/**
 * A stable text for an identity of any shape (keys sorted at every depth): two requests act as
 * the same identity exactly when their keys are equal. Live subscriptions belong to it, and live
 * queries are shared only between registrations of the same identity.
 *
 * @example identityKey({ role: 'admin', userId: 'u1' }) === identityKey({ userId: 'u1', role: 'admin' })
 */
export function identityKey(identity: object): string {
  return JSON.stringify(identity, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
