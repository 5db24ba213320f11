import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Authenticator, Identity } from './identity.ts';

const claimsSchema = z.object({
  sub: z.string().min(1).max(200),
  tenant: z.string().min(1).max(200),
  role: z.string().min(1).max(100),
});

function hmac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/**
 * Makes the default token format, `<base64url(JSON {sub, tenant, role})>.<base64url(HMAC-SHA256)>`.
 *
 * @example const token = signToken({ userId: 'ann', tenantId: 'acme', role: 'analyst' }, secret);
 */
export function signToken(identity: Identity, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify({ sub: identity.userId, tenant: identity.tenantId, role: identity.role }),
  ).toString('base64url');
  return `${payload}.${hmac(secret, payload).toString('base64url')}`;
}

/**
 * The default authenticator: verifies {@link signToken} tokens; no token gives `anonymous`
 * (or rejects when `anonymous` is null).
 *
 * @example const authenticate = signedTokenAuthenticator({ secret, anonymous: null });
 */
export function signedTokenAuthenticator(options: {
  secret: string;
  anonymous: Identity | null;
}): Authenticator {
  return (token) => {
    if (token === undefined || token === '') return options.anonymous;
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 4096) return null;
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = hmac(options.secret, payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const claims = claimsSchema.safeParse(json);
    if (!claims.success) return null;
    return { userId: claims.data.sub, tenantId: claims.data.tenant, role: claims.data.role };
  };
}
