/** Who is calling: the user, the tenant whose rows they see, and the role that decides tables. */
export interface Identity {
  readonly userId: string;
  readonly tenantId: string;
  readonly role: string;
}

/**
 * Turns a bearer token (or its absence) into an identity; `null` rejects the request with
 * `UNAUTHENTICATED`. Pluggable: pass your own to `createLiveframeServer({ authenticate })`.
 *
 * @example const authenticate: Authenticator = async (token) => (token === 'dev' ? devIdentity : null);
 */
export type Authenticator = (token: string | undefined) => Promise<Identity | null> | Identity | null;
