import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startSqld } from '@liveframe/native/testing';
import { type Identity, jwtAuthenticator, ServerError, signToken } from '@liveframe/server';
import { describe, expect, it } from 'vitest';
import { DEMO_DEV_SECRET, loadDemoConfig } from '../src/demo-config.ts';
import { createDemoServer, type DemoServerOptions } from '../src/index.ts';
import { TEST_AUTH_SECRET } from '../src/testing/index.ts';
import { httpClient } from './support/live-client.ts';

const ADA: Identity = { userId: 'ada', tenantId: 'demo', role: 'admin' };
const SECRET = 'a-long-random-secret-for-this-test';
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'liveframe-secure-'));
  return {
    dbPath: join(dir, 'app.db'),
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `createDemoServer` (the library with the demo domain) with the library's own defaults (not the test helper's opt-ins). */
function serve(dbPath: string, options: DemoServerOptions = {}) {
  return createDemoServer({
    ...options,
    config: { port: 0, dbPath, logLevel: 'silent', ...options.config },
    // Explicit, so the outer NODE_ENV (vitest sets `test`) plays no part.
    env: options.env ?? {},
  });
}

const unauthenticated = { data: { liveframe: { code: 'UNAUTHENTICATED' } } };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const postSyncHint = (url: string) =>
  fetch(`${url}/liveframe/sync-hint`, { method: 'POST', body: '{"position":"0:1"}' });

describe('secure defaults', () => {
  it('the default config lets nobody in: no anonymous identity, and without a secret every token is rejected', async () => {
    await using dir = await tempDir();
    await using server = await serve(dir.dbPath);
    expect(server.config.anonymous).toBe(false);
    expect(server.config.authSecret).toBeUndefined();
    await expect(httpClient(server.url).whoami.query()).rejects.toMatchObject(unauthenticated);
    // No secret means no secret to guess: the old built-in one, the test one, anything.
    for (const secret of ['dev-secret', TEST_AUTH_SECRET, DEMO_DEV_SECRET]) {
      await expect(
        httpClient(server.url, bearer(signToken(ADA, secret))).whoami.query(),
      ).rejects.toMatchObject(unauthenticated);
    }
    const response = await fetch(`${server.url}/trpc/whoami`);
    expect(response.status).toBe(401);
    // No secret, no sync hints: a hint's rows would reach subscribers.
    expect((await postSyncHint(server.url)).status).toBe(404);
  });

  it('with a secret, its tokens work; anonymous access only when turned on, as the `anonymous` role', async () => {
    await using dir = await tempDir();
    await using server = await serve(dir.dbPath, { config: { authSecret: SECRET, anonymous: true } });
    const admin = httpClient(server.url, bearer(signToken(ADA, SECRET)));
    expect((await admin.whoami.query()).identity).toEqual(ADA);
    expect((await admin.orders.list.query({})).total).toBeGreaterThan(0);

    const guest = httpClient(server.url);
    expect((await guest.whoami.query()).identity).toEqual({
      userId: 'anonymous',
      tenantId: 'demo',
      role: 'anonymous',
    });
    // The demo roles grant the `anonymous` role no table.
    await expect(guest.orders.list.query({})).rejects.toMatchObject({
      data: { liveframe: { code: 'FORBIDDEN_TABLE' } },
    });
    await expect(
      httpClient(server.url, bearer(signToken(ADA, 'another-secret'))).whoami.query(),
    ).rejects.toMatchObject(unauthenticated);
  });

  it('NODE_ENV=production without a secret refuses to start, before opening anything, and says what to set', async () => {
    await using dir = await tempDir();
    const production = { NODE_ENV: 'production' };
    const refused = await serve(dir.dbPath, { env: production }).then(
      () => expect.unreachable('the server started'),
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ServerError);
    expect(refused).toMatchObject({ code: 'INSECURE_CONFIG' });
    expect((refused as Error).message).toMatch(
      /NODE_ENV=production.*authSecret \(--auth-secret \/ LIVEFRAME_AUTH_SECRET\)/,
    );
    expect(existsSync(dir.dbPath)).toBe(false);

    // Anonymous access does not stand in for a secret.
    await expect(serve(dir.dbPath, { env: production, config: { anonymous: true } })).rejects.toMatchObject({
      code: 'INSECURE_CONFIG',
    });
    // A secret, or an authenticator of the app's own: it starts.
    {
      await using server = await serve(dir.dbPath, { env: production, config: { authSecret: SECRET } });
      expect((await httpClient(server.url, bearer(signToken(ADA, SECRET))).whoami.query()).identity).toEqual(
        ADA,
      );
    }
    const jwt = jwtAuthenticator({ secret: 'a-shared-hs256-secret-of-at-least-32-bytes' });
    await using custom = await serve(dir.dbPath, { env: production, authenticate: jwt });
    await expect(httpClient(custom.url).whoami.query()).rejects.toMatchObject(unauthenticated);
  });

  it('replica mode without a secret refuses to start; an own authenticator starts it, with sync hints off', async () => {
    await using sqld = await startSqld();
    await using dir = await tempDir();
    const replica = { primaryUrl: sqld.url, syncIntervalMs: 50 };
    await expect(serve(dir.dbPath, { config: replica })).rejects.toThrow(
      expect.objectContaining({
        name: 'ServerError',
        code: 'INSECURE_CONFIG',
        message: expect.stringMatching(/^replica mode needs a secret.*LIVEFRAME_AUTH_SECRET/),
      }),
    );
    expect(existsSync(dir.dbPath)).toBe(false);
    // Peers need a shared secret even with an own authenticator.
    const authenticate = () => ADA;
    await expect(
      serve(dir.dbPath, { config: { ...replica, peers: ['http://127.0.0.1:1'] }, authenticate }),
    ).rejects.toMatchObject({
      code: 'INSECURE_CONFIG',
      message: expect.stringMatching(/LIVEFRAME_PEER_SECRET/),
    });

    await using server = await serve(dir.dbPath, { config: replica, authenticate });
    expect((await httpClient(server.url).whoami.query()).identity).toEqual(ADA);
    expect((await postSyncHint(server.url)).status).toBe(404);
  });
});

describe('the demo CLI opts in explicitly', () => {
  it('local development: anonymous admin of the demo tenant and the dev secret; flags and env override; not beyond a laptop', () => {
    expect(loadDemoConfig([], {})).toMatchObject({
      anonymous: true,
      anonymousTenant: 'demo',
      anonymousRole: 'admin',
      authSecret: DEMO_DEV_SECRET,
    });
    expect(loadDemoConfig(['--no-anonymous'], {}).anonymous).toBe(false);
    expect(loadDemoConfig([], { LIVEFRAME_ANONYMOUS: '0' }).anonymous).toBe(false);
    expect(loadDemoConfig([], { LIVEFRAME_AUTH_SECRET: SECRET }).authSecret).toBe(SECRET);
    expect(loadDemoConfig(['--anonymous-role', 'analyst'], {}).anonymousRole).toBe('analyst');
    // Not a laptop (replica mode, listening beyond loopback, production): the library's defaults.
    for (const [argv, env] of [
      [['--primary', 'http://127.0.0.1:8080'], {}],
      [['--host', '0.0.0.0'], {}],
      [[], { HOST: '10.0.0.2' }],
      [[], { NODE_ENV: 'production' }],
    ] as const) {
      const config = loadDemoConfig(argv, env);
      expect(config).toMatchObject({ anonymous: false, anonymousRole: 'anonymous' });
      expect(config.authSecret).toBeUndefined();
    }
    // ...unless asked for.
    expect(loadDemoConfig(['--primary', 'http://127.0.0.1:8080', '--anonymous'], {}).anonymous).toBe(true);
  });

  it('the config the CLI builds serves the dashboard without a token, and refuses production without a secret', async () => {
    await using dir = await tempDir();
    const argv = ['--port', '0', '--db', dir.dbPath, '--log-level', 'silent', '--static-dir', ''];
    await using server = await serve(dir.dbPath, { config: loadDemoConfig(argv, {}) });
    const guest = httpClient(server.url);
    expect((await guest.whoami.query()).identity).toEqual({
      userId: 'anonymous',
      tenantId: 'demo',
      role: 'admin',
    });
    expect((await guest.orders.list.query({})).total).toBeGreaterThan(0);
    const token = signToken({ userId: 'ann', tenantId: 'demo', role: 'analyst' }, DEMO_DEV_SECRET);
    expect((await httpClient(server.url, bearer(token)).whoami.query()).identity.role).toBe('analyst');

    const env = { NODE_ENV: 'production' };
    await expect(serve(dir.dbPath, { config: loadDemoConfig(argv, env), env })).rejects.toMatchObject({
      code: 'INSECURE_CONFIG',
    });
  });

  it('main.ts as a process: replica mode without a secret exits 1 with the message, no stack', async () => {
    await using dir = await tempDir();
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('LIVEFRAME_') && name !== 'NODE_ENV'),
    );
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, '--port', '0', '--db', dir.dbPath, '--primary', 'http://127.0.0.1:9'],
      { stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    await using _kill = { [Symbol.asyncDispose]: async () => void child.kill('SIGKILL') };
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const stdout = createInterface({ input: child.stdout! });
    const lines: string[] = [];
    stdout.on('line', (line) => lines.push(line));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr.join('')).toMatch(
      /^liveframe: replica mode needs a secret for the bearer tokens: set authSecret \(--auth-secret \/ LIVEFRAME_AUTH_SECRET\)/,
    );
    expect(stderr.join('')).not.toMatch(/\n\s+at /);
    expect(lines.some((line) => line.includes('"listening"'))).toBe(false);
  });
});
