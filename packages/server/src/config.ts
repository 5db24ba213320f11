import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * Every server option: CLI flag, environment variable, default. `main.ts` reads them with
 * {@link loadConfig}; `createLiveframeServer` takes the parsed object.
 *
 * | flag | env | default | meaning |
 * |---|---|---|---|
 * | `--port` | `PORT` | 3000 | HTTP + WebSocket port (0 = any free port) |
 * | `--host` | `HOST` | 127.0.0.1 | listen address |
 * | `--db` | `LIVEFRAME_DB` | data/liveframe.db | database file (local file or replica file) |
 * | `--primary` | `LIVEFRAME_PRIMARY_URL` | (none) | sqld/Turso URL: switches to replica mode |
 * | `--primary-auth-token` | `LIVEFRAME_PRIMARY_AUTH_TOKEN` | (none) | token for the primary |
 * | `--sync-interval-ms` | `LIVEFRAME_SYNC_INTERVAL_MS` | 100 | replica polling interval |
 * | `--peers` | `LIVEFRAME_PEERS` | (none) | replica mode: comma-separated base URLs of the other servers; after a write, this server tells them to sync now (sync hint) instead of waiting for their next poll |
 * | `--peer-secret` | `LIVEFRAME_PEER_SECRET` | the auth secret | HMAC secret of sync hints between servers (must be the same on all; `--peers` needs one of the two; without either the hint endpoint answers 404) |
 * | `--compact-interval-ms` | `LIVEFRAME_COMPACT_INTERVAL_MS` | 60000 | replica mode: how often to compact the replicated change log on the primary (0 = never; safe on every server at once) |
 * | `--change-log-max-age-ms` | `LIVEFRAME_CHANGE_LOG_MAX_AGE_MS` | 86400000 | change-log rows older than this are compacted away |
 * | `--change-log-max-rows` | `LIVEFRAME_CHANGE_LOG_MAX_ROWS` | 100000 | at most this many newest change-log rows are kept |
 * | `--auth-secret` | `LIVEFRAME_AUTH_SECRET` | (none) | HMAC secret of bearer tokens; required in replica mode and with `NODE_ENV=production` (unless a custom `authenticate` is given), else every token is rejected |
 * | `--anonymous` / `--no-anonymous` | `LIVEFRAME_ANONYMOUS` | off | requests without a token get the anonymous identity |
 * | `--anonymous-tenant` | `LIVEFRAME_ANONYMOUS_TENANT` | demo | tenant of the anonymous identity |
 * | `--anonymous-role` | `LIVEFRAME_ANONYMOUS_ROLE` | anonymous | role of the anonymous identity (grant it tables in `permissions`) |
 * | `--min-frame-timeout-ms` | `LIVEFRAME_MIN_FRAME_TIMEOUT_MS` | 5000 | read-your-writes deadline |
 * | `--max-buffered-bytes` | `LIVEFRAME_MAX_BUFFERED_BYTES` | 4194304 | per-socket send buffer cap |
 * | `--slow-client-grace-ms` | `LIVEFRAME_SLOW_CLIENT_GRACE_MS` | 10000 | time over the cap before disconnect |
 * | `--session-grace-ms` | `LIVEFRAME_SESSION_GRACE_MS` | 60000 | registrations kept after a socket closes |
 * | `--max-queries` | `LIVEFRAME_MAX_QUERIES` | 500 | live queries per subscription |
 * | `--history-size` | `LIVEFRAME_HISTORY_SIZE` | 4096 | change sets kept for resume |
 * | `--subscription-buffer` | `LIVEFRAME_SUBSCRIPTION_BUFFER` | 256 | events queued per subscription before refetch-all |
 * | `--max-payload-bytes` | `LIVEFRAME_MAX_PAYLOAD_BYTES` | 1048576 | largest accepted WebSocket message |
 * | `--max-push-bytes` | `LIVEFRAME_MAX_PUSH_BYTES` | 262144 | largest live result pushed (push delivery); larger ones are invalidated for a refetch |
 * | `--shutdown-grace-ms` | `LIVEFRAME_SHUTDOWN_GRACE_MS` | 5000 | drain time on SIGTERM |
 * | `--seed` / `--no-seed` | `LIVEFRAME_SEED` | seed on | seed the demo tenant when empty |
 * | `--log-level` | `LOG_LEVEL` | info | pino level (`silent` to mute) |
 * | `--synchronous` | `LIVEFRAME_SYNCHRONOUS` | normal | local mode: `PRAGMA synchronous` of the writer (WAL + normal: no fsync per commit, durable across process crashes, the last commits may be lost on power loss; `full` fsyncs every commit, ~2 ms) |
 * | `--no-direct-events` | `LIVEFRAME_DIRECT_EVENTS=0` | direct on | write live events to sockets directly (pre-encoded, shared by every client with the same event) instead of through tRPC's per-subscription path; same bytes on the wire |
 * | `--migrations` | `LIVEFRAME_MIGRATIONS_DIR` | none | folder of migrations applied at start (drizzle-kit output or plain `.sql` files; see docs/migrations.md); the `migrations` option of `createLiveframe` wins |
 * | `--static-dir` | `LIVEFRAME_STATIC_DIR` | none (the demo: apps/web/dist if built) | web app served on `/` by `createLiveframeServer` (SPA fallback); `''` disables |
 *
 * Secure by default: nobody gets in without a token unless the app turns `anonymous` on, and
 * there is no built-in secret. Without a secret in local development mode no secret is made up
 * either (a random per-process one would only be useful if logged, and a secret in the logs is a
 * leak; tokens would also die with every restart): the server starts, and rejects every token.
 * The demo CLI (`demo-config.ts`) opts in to anonymous admin and a dev secret explicitly.
 */
export const serverConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(3000),
  host: z.string().min(1).default('127.0.0.1'),
  dbPath: z.string().min(1).default('data/liveframe.db'),
  primaryUrl: z.url().optional(),
  primaryAuthToken: z.string().optional(),
  syncIntervalMs: z.coerce.number().int().min(1).default(100),
  /** Base URLs of the other servers of the cluster (sync hints); a comma-separated string is split. */
  peers: z
    .preprocess(
      (value) =>
        typeof value === 'string'
          ? value
              .split(',')
              .map((url) => url.trim())
              .filter((url) => url !== '')
          : value,
      z.array(z.url()),
    )
    .default([]),
  peerSecret: z.string().min(1).optional(),
  compactIntervalMs: z.coerce.number().int().min(0).default(60_000),
  changeLogMaxAgeMs: z.coerce
    .number()
    .int()
    .min(1)
    .default(24 * 60 * 60 * 1000),
  changeLogMaxRows: z.coerce.number().int().min(1).default(100_000),
  authSecret: z.string().min(1).optional(),
  anonymous: z.boolean().default(false),
  anonymousTenant: z.string().min(1).default('demo'),
  anonymousRole: z.string().min(1).default('anonymous'),
  minFrameTimeoutMs: z.coerce.number().int().min(1).default(5000),
  maxBufferedBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  slowClientGraceMs: z.coerce.number().int().min(0).default(10_000),
  sessionGraceMs: z.coerce.number().int().min(0).default(60_000),
  maxQueriesPerSubscription: z.coerce.number().int().min(1).default(500),
  historySize: z.coerce.number().int().min(1).default(4096),
  subscriptionBufferSize: z.coerce.number().int().min(1).default(256),
  maxPayloadBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** Push delivery: a live result larger than this (encoded) is sent as an invalidation instead. */
  maxPushBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(256 * 1024),
  shutdownGraceMs: z.coerce.number().int().min(0).default(5000),
  seed: z.boolean().default(true),
  directEvents: z.boolean().default(true),
  synchronous: z.enum(['normal', 'full']).default('normal'),
  /** Migrations folder applied at start (drizzle-kit output or .sql files) when the app passes no `migrations`. */
  migrationsDir: z.string().min(1).optional(),
  /** Built web app `createLiveframeServer` serves on `/`; none by default (the demo passes apps/web/dist); '' disables. */
  staticDir: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

const FLAGS = {
  port: ['port', 'PORT'],
  host: ['host', 'HOST'],
  dbPath: ['db', 'LIVEFRAME_DB'],
  primaryUrl: ['primary', 'LIVEFRAME_PRIMARY_URL'],
  primaryAuthToken: ['primary-auth-token', 'LIVEFRAME_PRIMARY_AUTH_TOKEN'],
  syncIntervalMs: ['sync-interval-ms', 'LIVEFRAME_SYNC_INTERVAL_MS'],
  peers: ['peers', 'LIVEFRAME_PEERS'],
  peerSecret: ['peer-secret', 'LIVEFRAME_PEER_SECRET'],
  compactIntervalMs: ['compact-interval-ms', 'LIVEFRAME_COMPACT_INTERVAL_MS'],
  changeLogMaxAgeMs: ['change-log-max-age-ms', 'LIVEFRAME_CHANGE_LOG_MAX_AGE_MS'],
  changeLogMaxRows: ['change-log-max-rows', 'LIVEFRAME_CHANGE_LOG_MAX_ROWS'],
  authSecret: ['auth-secret', 'LIVEFRAME_AUTH_SECRET'],
  anonymousTenant: ['anonymous-tenant', 'LIVEFRAME_ANONYMOUS_TENANT'],
  anonymousRole: ['anonymous-role', 'LIVEFRAME_ANONYMOUS_ROLE'],
  minFrameTimeoutMs: ['min-frame-timeout-ms', 'LIVEFRAME_MIN_FRAME_TIMEOUT_MS'],
  maxBufferedBytes: ['max-buffered-bytes', 'LIVEFRAME_MAX_BUFFERED_BYTES'],
  slowClientGraceMs: ['slow-client-grace-ms', 'LIVEFRAME_SLOW_CLIENT_GRACE_MS'],
  sessionGraceMs: ['session-grace-ms', 'LIVEFRAME_SESSION_GRACE_MS'],
  maxQueriesPerSubscription: ['max-queries', 'LIVEFRAME_MAX_QUERIES'],
  historySize: ['history-size', 'LIVEFRAME_HISTORY_SIZE'],
  subscriptionBufferSize: ['subscription-buffer', 'LIVEFRAME_SUBSCRIPTION_BUFFER'],
  maxPayloadBytes: ['max-payload-bytes', 'LIVEFRAME_MAX_PAYLOAD_BYTES'],
  maxPushBytes: ['max-push-bytes', 'LIVEFRAME_MAX_PUSH_BYTES'],
  shutdownGraceMs: ['shutdown-grace-ms', 'LIVEFRAME_SHUTDOWN_GRACE_MS'],
  logLevel: ['log-level', 'LOG_LEVEL'],
  staticDir: ['static-dir', 'LIVEFRAME_STATIC_DIR'],
  migrationsDir: ['migrations', 'LIVEFRAME_MIGRATIONS_DIR'],
  synchronous: ['synchronous', 'LIVEFRAME_SYNCHRONOUS'],
} as const;

/**
 * Reads flags (win) and environment variables into a validated config; throws a readable
 * error listing every bad option. `defaults` (an app's own) apply where neither sets an option.
 *
 * @example const config = loadConfig(process.argv.slice(2), process.env);
 */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  defaults: ServerConfigInput = {},
): ServerConfig {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    anonymous: { type: 'boolean' },
    'no-anonymous': { type: 'boolean' },
    seed: { type: 'boolean' },
    'no-seed': { type: 'boolean' },
    'direct-events': { type: 'boolean' },
    'no-direct-events': { type: 'boolean' },
  };
  for (const [flag] of Object.values(FLAGS)) options[flag] = { type: 'string' };
  const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  const raw: Record<string, unknown> = { ...defaults };
  for (const [key, [flag, envName]] of Object.entries(FLAGS)) {
    const value = values[flag] ?? env[envName];
    if (value !== undefined && (value !== '' || key === 'staticDir')) raw[key] = value;
  }
  const bool = (on: string, off: string, envName: string): boolean | undefined => {
    if (values[off] === true) return false;
    if (values[on] === true) return true;
    const fromEnv = env[envName];
    return fromEnv === undefined || fromEnv === '' ? undefined : !['0', 'false', 'no'].includes(fromEnv);
  };
  const anonymous = bool('anonymous', 'no-anonymous', 'LIVEFRAME_ANONYMOUS');
  if (anonymous !== undefined) raw.anonymous = anonymous;
  const seed = bool('seed', 'no-seed', 'LIVEFRAME_SEED');
  if (seed !== undefined) raw.seed = seed;
  const directEvents = bool('direct-events', 'no-direct-events', 'LIVEFRAME_DIRECT_EVENTS');
  if (directEvents !== undefined) raw.directEvents = directEvents;
  const parsed = serverConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid server options:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
