import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtAuthenticator } from '@liveframe/server';
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { httpClient } from './support/live-client.ts';

const SECRET = 'a-shared-hs256-secret-of-at-least-32-bytes';
const ANN = { userId: 'ann', tenantId: 'acme', role: 'analyst' };
const CLAIMS = { sub: 'ann', tenant: 'acme', role: 'analyst' };

interface SignOptions {
  readonly alg?: string;
  readonly kid?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** `exp` as a jose time span ('1h', '-1h') or absolute seconds; `null` leaves it out. */
  readonly exp?: string | number | null;
}

function sign(claims: JWTPayload, key: CryptoKey | Uint8Array, options: SignOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: options.alg ?? 'HS256',
      ...(options.kid === undefined ? {} : { kid: options.kid }),
    })
    .setIssuedAt();
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? '1h');
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(key);
}

const secretKey = (secret: string) => new TextEncoder().encode(secret);

/** A JWKS endpoint on port 0 that counts its requests; dispose closes it. */
async function serveJwks(keys: JWK[]) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

describe('jwtAuthenticator', () => {
  it('HS256: a valid token maps sub/tenant/role to the identity; no token is the anonymous identity or null', async () => {
    const authenticate = jwtAuthenticator({ secret: SECRET });
    expect(await authenticate(await sign(CLAIMS, secretKey(SECRET)))).toEqual(ANN);
    expect(await authenticate(undefined)).toBeNull();
    expect(await authenticate('')).toBeNull();

    const guest = { userId: 'guest', tenantId: 'public', role: 'viewer' };
    const withGuest = jwtAuthenticator({ secret: SECRET, anonymous: guest });
    expect(await withGuest(undefined)).toEqual(guest);
    // A bad token is not "no token": it is rejected, not downgraded to the anonymous identity.
    expect(await withGuest('garbage')).toBeNull();
  });

  it('rejects expired tokens and tokens without exp; tolerates a few seconds of clock skew', async () => {
    const reasons: unknown[] = [];
    const authenticate = jwtAuthenticator({ secret: SECRET, onReject: (reason) => reasons.push(reason) });
    const key = secretKey(SECRET);
    const now = Math.floor(Date.now() / 1000);
    expect(await authenticate(await sign(CLAIMS, key, { exp: now - 60 }))).toBeNull();
    expect(await authenticate(await sign(CLAIMS, key, { exp: null }))).toBeNull();
    expect(reasons).toMatchObject([{ code: 'ERR_JWT_EXPIRED' }, { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' }]);
    // Within the default 5 s tolerance.
    expect(await authenticate(await sign(CLAIMS, key, { exp: now - 1 }))).toEqual(ANN);
    const strict = jwtAuthenticator({ secret: SECRET, clockToleranceSeconds: 0 });
    expect(await strict(await sign(CLAIMS, key, { exp: now - 2 }))).toBeNull();
  });

  it('checks issuer and audience when configured', async () => {
    const authenticate = jwtAuthenticator({
      secret: SECRET,
      issuer: 'https://idp.example.com/',
      audience: ['https://api.example.com', 'liveframe'],
    });
    const key = secretKey(SECRET);
    const good = { issuer: 'https://idp.example.com/', audience: 'liveframe' };
    expect(await authenticate(await sign(CLAIMS, key, good))).toEqual(ANN);
    expect(
      await authenticate(await sign(CLAIMS, key, { ...good, issuer: 'https://evil.example/' })),
    ).toBeNull();
    expect(await authenticate(await sign(CLAIMS, key, { ...good, audience: 'another-api' }))).toBeNull();
    expect(await authenticate(await sign(CLAIMS, key, { audience: 'liveframe' }))).toBeNull(); // no iss
    expect(await authenticate(await sign(CLAIMS, key, { issuer: good.issuer }))).toBeNull(); // no aud
  });

  it('rejects a wrong key, alg none, another algorithm, missing claims and garbage, without throwing', async () => {
    const authenticate = jwtAuthenticator({ secret: SECRET });
    const other = secretKey('another-secret-that-is-also-32-bytes-long');
    expect(await authenticate(await sign(CLAIMS, other))).toBeNull();
    // alg none: an unsigned token with the right claims.
    const unsigned = new UnsecuredJWT(CLAIMS).setExpirationTime('1h').encode();
    expect(await authenticate(unsigned)).toBeNull();
    // HS384 with the right secret: not an accepted algorithm unless configured.
    const hs384 = await sign(CLAIMS, secretKey(SECRET), { alg: 'HS384' });
    expect(await authenticate(hs384)).toBeNull();
    expect(await jwtAuthenticator({ secret: SECRET, algorithms: ['HS384'] })(hs384)).toEqual(ANN);
    // Verified, but without the claims an identity needs.
    expect(await authenticate(await sign({ sub: 'ann', role: 'analyst' }, secretKey(SECRET)))).toBeNull();
    expect(await authenticate(await sign({ ...CLAIMS, tenant: 42 }, secretKey(SECRET)))).toBeNull();
    for (const garbage of ['garbage', 'a.b.c', '...', 'eyJhbGciOiJIUzI1NiJ9..', 'x'.repeat(100_000)]) {
      expect(await authenticate(garbage)).toBeNull();
    }
  });

  it('refuses a short HS256 secret at construction', () => {
    expect(() => jwtAuthenticator({ secret: 'short' })).toThrow(/at least 32 bytes/);
  });

  it('maps other claim names, or any payload through toIdentity', async () => {
    const key = secretKey(SECRET);
    const token = await sign({ sub: 'ann', org: 'acme', 'https://example.com/role': 'admin' }, key);
    const named = jwtAuthenticator({
      secret: SECRET,
      claims: { tenantId: 'org', role: 'https://example.com/role' },
    });
    expect(await named(token)).toEqual({ userId: 'ann', tenantId: 'acme', role: 'admin' });

    const custom = jwtAuthenticator({
      secret: SECRET,
      toIdentity: (payload) =>
        payload.org === 'acme' ? { userId: `acme:${payload.sub}`, tenantId: 'acme', role: 'viewer' } : null,
    });
    expect(await custom(token)).toEqual({ userId: 'acme:ann', tenantId: 'acme', role: 'viewer' });
    expect(await custom(await sign({ sub: 'bob', org: 'globex' }, key))).toBeNull();
    const throwing = jwtAuthenticator({
      secret: SECRET,
      toIdentity: () => {
        throw new Error('bug in the mapping');
      },
    });
    expect(await throwing(token)).toBeNull();
  });

  it('RS256 with a public key as PEM or JWK; the public key is no HS256 secret', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const token = await sign(CLAIMS, privateKey, { alg: 'RS256' });
    expect(await jwtAuthenticator({ publicKey: pem })(token)).toEqual(ANN);
    expect(await jwtAuthenticator({ publicKey: await exportJWK(publicKey) })(token)).toEqual(ANN);

    const authenticate = jwtAuthenticator({ publicKey: pem });
    // Another key pair's signature.
    const stranger = await generateKeyPair('RS256');
    expect(await authenticate(await sign(CLAIMS, stranger.privateKey, { alg: 'RS256' }))).toBeNull();
    // Algorithm confusion: HS256 "signed" with the public key's PEM text as the shared secret.
    expect(await authenticate(await sign(CLAIMS, secretKey(pem)))).toBeNull();
    expect(await authenticate(new UnsecuredJWT(CLAIMS).setExpirationTime('1h').encode())).toBeNull();
  });

  it('ES256 from a JWKS served over HTTP, fetched once and cached; an unknown key is rejected', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await using jwks = await serveJwks([
      { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' },
    ]);
    const authenticate = jwtAuthenticator({ jwksUrl: jwks.url, issuer: 'https://idp.test/' });
    const token = await sign(CLAIMS, privateKey, { alg: 'ES256', kid: 'k1', issuer: 'https://idp.test/' });
    expect(await authenticate(token)).toEqual(ANN);
    expect(await authenticate(token)).toEqual(ANN);
    expect(jwks.requests).toBe(1);

    // Same kid, another key: the signature does not verify.
    const stranger = await generateKeyPair('ES256');
    const forged = await sign(CLAIMS, stranger.privateKey, {
      alg: 'ES256',
      kid: 'k1',
      issuer: 'https://idp.test/',
    });
    expect(await authenticate(forged)).toBeNull();
    // A kid the JWKS does not have (the refetch for it is in its cooldown): rejected.
    const unknownKid = await sign(CLAIMS, privateKey, {
      alg: 'ES256',
      kid: 'k2',
      issuer: 'https://idp.test/',
    });
    expect(await authenticate(unknownKid)).toBeNull();
  });

  it('an unreachable JWKS rejects the token (and says why) instead of throwing', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwks = await serveJwks([]);
    const url = jwks.url;
    await jwks.close();
    const reasons: unknown[] = [];
    const authenticate = jwtAuthenticator({ jwksUrl: url, onReject: (reason) => reasons.push(reason) });
    expect(await authenticate(await sign(CLAIMS, privateKey, { alg: 'ES256', kid: 'k1' }))).toBeNull();
    expect(reasons).toHaveLength(1);
  });

  it('end to end: a query over HTTP works with a valid JWT and answers UNAUTHENTICATED without one', async () => {
    await using server = await startServer({ authenticate: jwtAuthenticator({ secret: SECRET }) });
    const token = await sign({ sub: 'ada', tenant: 'demo', role: 'admin' }, secretKey(SECRET));
    const authorized = httpClient(server.url, { authorization: `Bearer ${token}` });
    expect((await authorized.whoami.query()).identity).toEqual({
      userId: 'ada',
      tenantId: 'demo',
      role: 'admin',
    });
    expect((await authorized.orders.list.query({})).total).toBeGreaterThan(0);

    for (const headers of [{}, { authorization: 'Bearer not-a-jwt' }]) {
      await expect(httpClient(server.url, headers).whoami.query()).rejects.toMatchObject({
        data: { code: 'UNAUTHORIZED', liveframe: { code: 'UNAUTHENTICATED' } },
      });
    }
    const expired = await sign({ sub: 'ada', tenant: 'demo', role: 'admin' }, secretKey(SECRET), {
      exp: Math.floor(Date.now() / 1000) - 3600,
    });
    const response = await fetch(`${server.url}/trpc/whoami`, {
      headers: { authorization: `Bearer ${expired}` },
    });
    expect(response.status).toBe(401);
  });
});
