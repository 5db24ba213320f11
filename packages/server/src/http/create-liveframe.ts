import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type MigrationInput, type MigrationsSource, migrate } from '@liveframe/db-core';
import type { AnyRouter } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import pino, { type Logger } from 'pino';
import superjson from 'superjson';
import { WebSocketServer } from 'ws';
import { assertAuthConfig, defaultAuthenticator } from '../auth/auth-config.ts';
import type { Authenticator, Identity } from '../auth/identity.ts';
import { recordIdentityAccess } from '../auth/identity-access.ts';
import type { TablePermissions } from '../auth/table-permissions.ts';
import { ChangeLogCompaction } from '../cluster/change-log-compaction.ts';
import { PeerSyncHints, SYNC_HINT_PATH } from '../cluster/peer-sync-hints.ts';
import { type ServerConfig, type ServerConfigInput, serverConfigSchema } from '../config.ts';
import type { Database, LiveDatabase } from '../db/database-contract.ts';
import { openLiveDatabase } from '../db/open-database.ts';
import {
  type CapturedStatement,
  mergeReadSets,
  requestDatabase,
  StatementTablesCache,
} from '../db/request-database.ts';
import { EventEncodingCache } from '../live/live-delivery.ts';
import { createLiveHub, pumpChanges } from '../live/live-hub.ts';
import type { LiveframeServices } from '../live/live-services.ts';
import { LiveSessions } from '../live/live-sessions.ts';
import { StaleReadRecovery } from '../live/stale-read-recovery.ts';
import { SubscriptionRequests } from '../live/subscription-requests.ts';
import { createLiveframeContext, type LiveframeContext, liveframeContext } from '../trpc/context.ts';
import { createCallerFactory } from '../trpc/trpc-builder.ts';
import { renderMetrics } from './metrics-endpoint.ts';
import { ServerMetrics } from './server-metrics.ts';

export interface LiveframeOptions<TIdentity extends object = Identity> {
  readonly config?: ServerConfigInput;
  /**
   * The app's tRPC router; it must mount `liveRouter` at `live` (the live protocol). Built with
   * this package's `createRouter`, or with the app's own `initTRPC` whose context extends
   * {@link LiveframeContext} (see `createContext`) and whose meta has `live?: boolean`.
   *
   * @example createLiveframe({ router: createRouter({ live: liveRouter, todos: todosRouter }), schema: TODOS_SQL })
   */
  readonly router: AnyRouter;
  /**
   * The app's own tRPC context, built on liveframe's: called for every HTTP request and WebSocket
   * connection (with `req`), and when liveframe runs a live query itself to learn what it reads
   * (without `req`). Return an object that spreads `base` (procedures use `ctx.db`,
   * `ctx.identity`). Default: `base`.
   *
   * @example createContext: (base, { req }) => ({ ...base, requestId: req?.headers['x-request-id'] })
   */
  readonly createContext?: (
    base: LiveframeContext<TIdentity>,
    request: { readonly req?: IncomingMessage; readonly res?: unknown },
  ) => object | Promise<object>;
  /** Where liveframe answers on the app's HTTP server; defaults `/trpc`, `/health`, `/metrics`. */
  readonly paths?: {
    readonly trpc?: string;
    readonly health?: string;
    readonly metrics?: string;
  };
  /**
   * Migrations applied at start, before `schema`/`prepareDatabase` (db-core's `migrate`): a
   * drizzle-kit output folder or a folder of `.sql` files (`{ folder: './drizzle' }`), or a list of
   * `{ name, sql }`. Each runs once per database, recorded in `_liveframe_migrations`; through the
   * primary in replica mode, where servers starting together migrate exactly once and the change
   * log is brought up to date. A changed applied migration or a failing one stops the start
   * (`MigrationError`). Default: the `migrationsDir` config (`--migrations`), else none.
   * See docs/migrations.md.
   *
   * @example createLiveframe({ router, migrations: { folder: './drizzle' } })
   */
  readonly migrations?: MigrationsSource | readonly MigrationInput[];
  /**
   * Idempotent schema SQL (`CREATE TABLE IF NOT EXISTS ...`) run at start (after `migrations`),
   * through the primary in replica mode, followed by `installChangeLog` there. Ignored when
   * `prepareDatabase` is given.
   */
  readonly schema?: string;
  /**
   * Full control of start-up migrations/seeding (replaces `schema`; runs after `migrations`); in
   * replica mode call `db.installChangeLog()` after changing the schema here (with `migrations`
   * liveframe calls it after this hook too).
   */
  readonly prepareDatabase?: (
    db: Database,
    context: { readonly config: ServerConfig; readonly logger: Logger },
  ) => Promise<void>;
  /**
   * Replaces the signed-token authenticator (then `authSecret`, `anonymous*` are not used), e.g.
   * `jwtAuthenticator({ jwksUrl, issuer, audience })`.
   */
  readonly authenticate?: Authenticator<TIdentity>;
  /**
   * Which tables each identity's statements may touch (`tablePermissions({ admin: '*', analyst:
   * ['orders'] })`). Default: every table for every authenticated identity (row-level rules are
   * the procedures' SQL either way).
   */
  readonly permissions?: TablePermissions<TIdentity>;
  readonly logger?: Logger;
  /**
   * Environment read at start (`NODE_ENV=production` requires an auth secret); default
   * `process.env`.
   */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * liveframe mounted in an app's own Node HTTP server: `handleRequest` answers its paths (tRPC over
 * HTTP, health, metrics, peer sync hints) and returns false for anything else; `handleUpgrade`
 * takes the WebSocket upgrades of the tRPC path. `close()` drains live clients and closes the
 * database; the HTTP server stays the app's.
 */
export interface Liveframe extends AsyncDisposable {
  readonly config: ServerConfig;
  readonly services: LiveframeServices;
  /** Answers the request if it is liveframe's; false otherwise (call your next handler). */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes the upgrade if it is for the tRPC path; false otherwise (the socket is still yours). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** WebSocket clients connected now. */
  readonly clients: number;
  close(): Promise<void>;
}

/**
 * Bugs are errors; a database that is unavailable for now (primary unreachable, busy) or a
 * draining server is a warning, with the cause the client does not see (the primary's address,
 * the db message).
 */
function logProcedureError(
  logger: Logger,
  error: { code: string; cause?: unknown },
  path: string | undefined,
) {
  if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error, path }, 'procedure failed');
  else if (error.code === 'SERVICE_UNAVAILABLE')
    logger.warn({ err: error.cause ?? error, path }, 'procedure failed: unavailable for now');
}

const EVERY_TABLE: TablePermissions = { canRead: () => true };

/** `schema` option: idempotent SQL, then the replicated change log in replica mode. */
async function prepareSchema(db: Database, schema: string | undefined): Promise<void> {
  if (schema !== undefined) await db.exec(schema);
  if (db.mode === 'replica') await db.installChangeLog();
}

/** `migrations` option (or the `migrationsDir` config): applies what this database lacks, logs it. */
async function runMigrations(
  db: Database,
  migrations: MigrationsSource | readonly MigrationInput[],
  logger: Logger,
): Promise<void> {
  const source: MigrationsSource = isMigrationList(migrations) ? { migrations } : migrations;
  const result = await migrate(db, source);
  const timing = { lockWaitMs: Math.round(result.lockWaitMs), durationMs: Math.round(result.durationMs) };
  if (result.applied.length > 0) {
    logger.info(
      {
        migrations: result.applied.map((m) => m.name),
        alreadyApplied: result.alreadyApplied,
        ...(result.position === null ? {} : { position: result.position }),
        ...timing,
      },
      `applied ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'}`,
    );
  } else {
    logger.info({ alreadyApplied: result.alreadyApplied, ...timing }, 'migrations: up to date');
  }
  if (result.unknown.length > 0) {
    logger.warn(
      { unknown: result.unknown },
      'the database has migrations this server does not know (a newer version migrated it?)',
    );
  }
}

function isMigrationList(
  value: MigrationsSource | readonly MigrationInput[],
): value is readonly MigrationInput[] {
  return Array.isArray(value);
}

type AppCaller = ReturnType<ReturnType<typeof createCallerFactory>>;

async function callByPath(caller: AppCaller, path: string, input: unknown): Promise<unknown> {
  let target: unknown = caller;
  for (const segment of path.split('.')) {
    target = (target as Record<string, unknown>)[segment];
  }
  if (typeof target !== 'function') throw new Error(`no procedure ${path}`);
  return (target as (input: unknown) => Promise<unknown>)(input);
}

/**
 * Starts liveframe without an HTTP server of its own: opens the database (local file, or an
 * embedded replica of `primaryUrl`), prepares the schema, wires the change stream into the live
 * hub, and returns handlers to mount on the app's server (plain `http`, Express, Fastify's
 * `server`, Hono's node server).
 *
 * @example
 * const liveframe = await createLiveframe({ router: appRouter, schema, config: { authSecret } });
 * const server = http.createServer((req, res) => liveframe.handleRequest(req, res) || app(req, res));
 * server.on('upgrade', (req, socket, head) => liveframe.handleUpgrade(req, socket, head) || socket.destroy());
 */
export async function createLiveframe<TIdentity extends object = Identity>(
  options: LiveframeOptions<TIdentity>,
): Promise<Liveframe> {
  const config = serverConfigSchema.parse(options.config ?? {});
  // Before anything is opened: a refused start leaves nothing behind.
  assertAuthConfig(config, {
    customAuthenticator: options.authenticate !== undefined,
    env: options.env ?? process.env,
  });
  const logger = options.logger ?? pino({ level: config.logLevel, base: { app: 'liveframe-server' } });
  const database: LiveDatabase & AsyncDisposable =
    config.primaryUrl === undefined
      ? await openLiveDatabase({ mode: 'local', path: config.dbPath })
      : await openLiveDatabase({
          mode: 'replica',
          path: config.dbPath,
          syncUrl: config.primaryUrl,
          syncIntervalMs: config.syncIntervalMs,
          ...(config.primaryAuthToken === undefined ? {} : { authToken: config.primaryAuthToken }),
        });
  const driver = database.driver;
  const router = options.router;
  if (!Object.hasOwn(router._def.procedures, 'live.events')) {
    await database[Symbol.asyncDispose]();
    throw new Error('liveframe: the router must mount liveRouter at `live`');
  }
  const prepare = options.prepareDatabase ?? ((db: Database) => prepareSchema(db, options.schema));
  const migrations =
    options.migrations ?? (config.migrationsDir === undefined ? undefined : { folder: config.migrationsDir });
  try {
    // Local mode: the writer is ours; replica mode: durability is the primary's business.
    if (driver.mode === 'local')
      await driver.exec(`PRAGMA synchronous = ${config.synchronous.toUpperCase()}`);
    // Migrations first: `schema` and the hook see (and may seed) the migrated tables.
    if (migrations !== undefined) await runMigrations(driver, migrations, logger);
    await prepare(driver, { config, logger });
    // The hook may create tables of its own; with migrations in play liveframe owns the log's upkeep.
    if (migrations !== undefined && options.prepareDatabase !== undefined && driver.mode === 'replica')
      await driver.installChangeLog();
  } catch (error) {
    await database[Symbol.asyncDispose]();
    throw error;
  }

  // Identities are opaque from here on (their shape is the app's).
  const authenticate = (options.authenticate ??
    defaultAuthenticator(config, logger)) as Authenticator<object>;
  const permissions = (options.permissions ?? EVERY_TABLE) as TablePermissions<object>;
  const appContext = options.createContext as LiveframeOptions<object>['createContext'];
  const tables = new StatementTablesCache(database);
  const hub = createLiveHub(driver, {
    historySize: config.historySize,
    bufferSize: config.subscriptionBufferSize,
  });
  const metrics = new ServerMetrics();
  const peerHints = new PeerSyncHints({
    db: driver,
    peers: config.peers,
    secret: config.peerSecret ?? config.authSecret,
    waitTimeoutMs: config.minFrameTimeoutMs,
    logger,
  });
  const createCaller = createCallerFactory(router);
  const procedures = router._def.procedures as unknown as Record<
    string,
    { _def: { type: string; meta?: { live?: boolean } } }
  >;
  const isLiveQuery = (path: string) => {
    const def = Object.hasOwn(procedures, path) ? procedures[path]?._def : undefined;
    return def?.type === 'query' && def.meta?.live === true;
  };

  const services: LiveframeServices = {
    database,
    hub,
    permissions,
    authenticate,
    logger,
    metrics,
    peerHints,
    compaction: new ChangeLogCompaction({
      db: driver,
      intervalMs: config.compactIntervalMs,
      maxAgeMs: config.changeLogMaxAgeMs,
      maxRows: config.changeLogMaxRows,
      logger,
    }),
    subscriptionRequests: new SubscriptionRequests(),
    staleReads: new StaleReadRecovery({
      db: driver,
      hub,
      logger,
      afterPublish: (result) => services.sessions.afterPublish(result),
    }),
    eventEncoding: new EventEncodingCache(),
    options: config,
    sessions: undefined as unknown as LiveSessions,
    requestDatabase: (identity, capture) =>
      requestDatabase({
        database,
        tables,
        identity,
        permissions,
        ...(capture === undefined ? {} : { capture }),
      }),
    isLiveQuery,
    deriveReadSet: async (identity, path, input, runOptions) => {
      const capture: CapturedStatement[] = [];
      // Which identity fields the run reads (SQL parameters, branches, the permission check) is
      // its data scope: other identities that agree on them can share its result.
      const seen = recordIdentityAccess(identity);
      const base: LiveframeContext<object> = liveframeContext({
        identity: seen.identity,
        db: services.requestDatabase(seen.identity, capture),
        services,
        // The read-your-writes middleware makes it read at least at the hub's position, so the
        // read-set includes every change already announced.
        headerMinFrame: undefined,
        socket: undefined,
      });
      const caller = createCaller(
        (appContext === undefined ? base : await appContext(base, {})) as LiveframeContext,
      );
      const output = await callByPath(caller, path, input);
      return {
        readSet: mergeReadSets(capture.map((statement) => statement.readSet)),
        // Only push subscribers need the result: encoding it for every run would be wasted.
        ...(runOptions?.output === true ? { output: superjson.stringify(output) } : {}),
        identityFields: seen.fields(),
      };
    },
  };
  (services as { sessions: LiveSessions }).sessions = new LiveSessions({
    hub,
    derive: services.deriveReadSet,
    isLiveQuery,
    maxQueriesPerSubscription: config.maxQueriesPerSubscription,
    sessionGraceMs: config.sessionGraceMs,
    maxPushBytes: config.maxPushBytes,
    onError: (error) => logger.warn({ err: error }, 're-deriving a read-set failed'),
  });

  // The change pump: every committed change (from any writer) reaches the hub in order.
  const pumpAbort = new AbortController();
  services.compaction.start();
  const pump = pumpChanges({
    db: driver,
    hub,
    sessions: services.sessions,
    tables,
    logger,
    signal: pumpAbort.signal,
    // Writes made outside tRPC (scripts, load generator) hint peers too.
    afterEvent: () => peerHints.afterWrite(),
  });
  // Events written directly must be the bytes tRPC would send: only with superjson (ours).
  const transformer = (router._def as { _config?: { transformer?: unknown } })._config?.transformer;
  const directEvents = config.directEvents && isSuperjson(transformer);
  const paths = {
    trpc: trimSlash(options.paths?.trpc ?? '/trpc'),
    health: options.paths?.health ?? '/health',
    metrics: options.paths?.metrics ?? '/metrics',
  };
  let state: 'serving' | 'draining' | 'closed' = 'serving';
  const createContext = async (opts: Parameters<typeof createLiveframeContext>[1]) => {
    const base = await createLiveframeContext(services, opts);
    return appContext === undefined ? base : appContext(base, { req: opts.req, res: opts.res });
  };
  const trpcHttp = createHTTPHandler({
    router,
    basePath: `${paths.trpc}/`,
    createContext,
    onError: ({ error, path }) => logProcedureError(logger, error, path),
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes });
  const wsHandler = applyWSSHandler({
    wss,
    router,
    createContext,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError: ({ error, path }) => logProcedureError(logger, error, path),
  });

  const handleRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    if (path === paths.health) {
      const position = driver.position();
      const primary = database.primaryPosition?.();
      res.writeHead(state === 'serving' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: state === 'serving' ? 'ok' : state,
          mode: driver.mode,
          ...position,
          // Replica mode: the newest primary frame this server knows of (same generation as `frame`).
          ...(primary === undefined ? {} : { primaryFrame: primary.frame }),
        }),
      );
      return true;
    }
    if (url === SYNC_HINT_PATH) {
      peerHints.handle(req, res);
      return true;
    }
    if (path === paths.metrics) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(renderMetrics({ services, clients: wss.clients.size }));
      return true;
    }
    if (url.startsWith(`${paths.trpc}/`)) {
      if (state !== 'serving') {
        res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
        res.end('{"error":"shutting down"}');
        return true;
      }
      trpcHttp(req, res);
      return true;
    }
    return false;
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const path = trimSlash((req.url ?? '').split('?')[0] ?? '');
    if (path !== paths.trpc) return false;
    if (state !== 'serving') {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
      return true;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A protocol error (bad frame, oversized message) must close that socket only.
      ws.on('error', (error) => logger.debug({ err: error }, 'websocket error'));
      // Before tRPC's own listener: learns the request ids of live subscriptions.
      if (directEvents) services.subscriptionRequests.watch(ws);
      wss.emit('connection', ws, req);
    });
    return true;
  };

  const close = async () => {
    if (state !== 'serving') return;
    state = 'draining';
    logger.info('draining clients');
    // Tell tRPC clients to reconnect (elsewhere), give them a moment, then close what is left.
    wsHandler.broadcastReconnectNotification();
    const drained = new Promise<void>((resolve) => {
      if (wss.clients.size === 0) resolve();
      for (const ws of wss.clients) ws.once('close', () => wss.clients.size === 0 && resolve());
    });
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
    for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    await Promise.race([drained, deadline]);
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    hub.close();
    pumpAbort.abort();
    peerHints.close();
    services.staleReads.close();
    await services.compaction.close();
    services.sessions.close();
    await database[Symbol.asyncDispose]();
    await pump;
    metrics.close();
    state = 'closed';
    logger.info('stopped');
  };

  return {
    config,
    services,
    handleRequest,
    handleUpgrade,
    get clients() {
      return wss.clients.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** tRPC's combined transformer object of `transformer: superjson` (or superjson itself). */
function isSuperjson(transformer: unknown): boolean {
  if (transformer === undefined || transformer === null) return false;
  const t = transformer as { input?: unknown; output?: unknown; serialize?: unknown };
  return (
    t === superjson ||
    t.serialize === superjson.serialize ||
    (t.input === superjson && t.output === superjson)
  );
}
