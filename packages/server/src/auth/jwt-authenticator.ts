import { createPublicKey } from 'node:crypto';
import {
  createRemoteJWKSet,
  type JWK,
  type JWSAlgorithm,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type KeyInput,
} from 'jose';
import type { Authenticator, Identity } from './identity.ts';

/** Where the verification key comes from: exactly one of `secret`, `publicKey`, `jwksUrl`. */
export type JwtKeySource =
  | {
      /** HS256 shared secret (at least 32 bytes, RFC 7518 §3.2). */
      readonly secret: string | Uint8Array;
      readonly publicKey?: never;
      readonly jwksUrl?: never;
    }
  | {
      /** RS256/ES256 public key: SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or a public JWK. */
      readonly publicKey: string | JWK;
      readonly secret?: never;
      readonly jwksUrl?: never;
    }
  | {
      /** The identity provider's JWKS (`https://issuer/.well-known/jwks.json`); jose caches it. */
      readonly jwksUrl: string | URL;
      readonly secret?: never;
      readonly publicKey?: never;
    };

export type JwtAuthenticatorOptions = JwtKeySource & {
  /**
   * Accepted `alg` header values (the token cannot choose another one; `none` never passes).
   * Default: `['HS256']` with `secret`, `['RS256', 'ES256']` with a public key or JWKS.
   */
  readonly algorithms?: readonly JWSAlgorithm[];
  /** Required `iss` (one of them, when several). */
  readonly issuer?: string | readonly string[];
  /** Required `aud` (one of them, when several). */
  readonly audience?: string | readonly string[];
  /** Leeway for `exp`/`nbf`/`iat` against this machine's clock, in seconds. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Claim names read by the default mapping. Default `{ userId: 'sub', tenantId: 'tenant', role: 'role' }`. */
  readonly claims?: { readonly userId?: string; readonly tenantId?: string; readonly role?: string };
  /**
   * Replaces the default mapping: the verified payload to an identity, or `null` to reject.
   * A throw counts as a rejection too.
   */
  readonly toIdentity?: (payload: JWTPayload) => Identity | null | Promise<Identity | null>;
  /** Identity of requests without a token; default `null` (rejected). */
  readonly anonymous?: Identity | null;
  /** Told why a token was rejected (expired, bad signature, JWKS unreachable...), for logging. */
  readonly onReject?: (reason: unknown) => void;
};

/** Longer tokens are rejected before any parsing (Node's header limit is 16 KiB anyway). */
const MAX_TOKEN_LENGTH = 16 * 1024;
const MIN_SECRET_BYTES = 32;

function keyFor(options: JwtKeySource): KeyInput | JWTVerifyGetKey {
  if (options.secret !== undefined) {
    const secret =
      typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (secret.byteLength < MIN_SECRET_BYTES) {
      throw new TypeError(`jwtAuthenticator: the HS256 secret needs at least ${MIN_SECRET_BYTES} bytes`);
    }
    return secret;
  }
  if (options.publicKey !== undefined) {
    // Imported once, here, so a bad key fails at start and not on the first request.
    return typeof options.publicKey === 'string'
      ? createPublicKey(options.publicKey)
      : createPublicKey({ key: options.publicKey, format: 'jwk' });
  }
  if (options.jwksUrl !== undefined) return createRemoteJWKSet(new URL(options.jwksUrl));
  throw new TypeError('jwtAuthenticator: pass one of secret, publicKey, jwksUrl');
}

function claimString(payload: JWTPayload, name: string, maxLength: number): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength ? value : undefined;
}

/**
 * An {@link Authenticator} for standard JWTs (your identity provider's tokens), built on `jose`:
 * checks the signature (HS256 shared secret, or RS256/ES256 with a public key or a remote JWKS),
 * `exp` (required), `nbf`, `iss` and `aud`, then maps the claims to an identity (`sub`, `tenant`,
 * `role` unless `claims` or `toIdentity` say otherwise). Every bad token (garbage, expired, wrong
 * issuer or audience, wrong key, `alg: none`, missing claims) answers `null`, so the request gets
 * `UNAUTHENTICATED`; it never throws.
 *
 * @example
 * const authenticate = jwtAuthenticator({
 *   jwksUrl: 'https://example.eu.auth0.com/.well-known/jwks.json',
 *   issuer: 'https://example.eu.auth0.com/',
 *   audience: 'https://api.example.com',
 *   claims: { tenantId: 'https://example.com/tenant' },
 * });
 * await createLiveframe({ router, schema, authenticate, config });
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const key = keyFor(options);
  const algorithms = [
    ...(options.algorithms ?? (options.secret !== undefined ? ['HS256'] : ['RS256', 'ES256'])),
  ];
  const verifyOptions = {
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: options.clockToleranceSeconds ?? 5,
    ...(options.issuer === undefined ? {} : { issuer: [options.issuer].flat() }),
    ...(options.audience === undefined ? {} : { audience: [options.audience].flat() }),
  };
  const names = { userId: 'sub', tenantId: 'tenant', role: 'role', ...options.claims };
  const toIdentity =
    options.toIdentity ??
    ((payload: JWTPayload): Identity | null => {
      const userId = claimString(payload, names.userId, 200);
      const tenantId = claimString(payload, names.tenantId, 200);
      const role = claimString(payload, names.role, 100);
      return userId === undefined || tenantId === undefined || role === undefined
        ? null
        : { userId, tenantId, role };
    });
  const anonymous = options.anonymous ?? null;
  const reject = (reason: unknown): null => {
    options.onReject?.(reason);
    return null;
  };

  return async (token) => {
    if (token === undefined || token === '') return anonymous;
    if (token.length > MAX_TOKEN_LENGTH) return reject(new Error('token too long'));
    try {
      const { payload } = await jwtVerify(token, key, verifyOptions);
      return (await toIdentity(payload)) ?? reject(new Error('claims do not map to an identity'));
    } catch (error) {
      return reject(error);
    }
  };
}
