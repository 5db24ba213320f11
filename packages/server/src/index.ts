/**
 * @liveframe/server: the liveframe server library. Live tRPC queries over WebSockets on an
 * embedded libSQL replica (or a local file), read-your-writes by replication frames, auth,
 * metrics. PROTOCOL.md describes the wire protocol.
 */

export {
  type MigrateResult,
  MigrationError,
  type MigrationErrorCode,
  type MigrationInput,
  type MigrationsSource,
  migrate,
} from '@liveframe/db-core';
export { type Authenticator, type Identity, identityKey } from './auth/identity.ts';
export {
  type JwtAuthenticatorOptions,
  type JwtKeySource,
  jwtAuthenticator,
} from './auth/jwt-authenticator.ts';
export { signedTokenAuthenticator, signToken } from './auth/signed-token.ts';
export { type TablePermissions, tablePermissions } from './auth/table-permissions.ts';
export {
  SYNC_HINT_PATH,
  SYNC_HINT_SIGNATURE_HEADER,
} from './cluster/peer-sync-hints.ts';
export { loadConfig, type ServerConfig, type ServerConfigInput, serverConfigSchema } from './config.ts';
export type { Database, Driver, FramePosition, LiveDatabase, ReadSet } from './db/database-contract.ts';
export { type DatabaseOptions, openLiveDatabase } from './db/open-database.ts';
export { requestClient } from './db/request-client.ts';
export {
  type CapturedStatement,
  mergeReadSets,
  type RequestDatabase,
} from './db/request-database.ts';
export { createLiveframe, type Liveframe, type LiveframeOptions } from './http/create-liveframe.ts';
export {
  createLiveframeServer,
  type LiveframeServer,
  type LiveframeServerOptions,
} from './http/liveframe-server.ts';
export { SLOW_CLIENT_CLOSE_CODE } from './live/backpressure.ts';
export type { HubEvent, LiveEventData } from './live/live-event.ts';
export { createLiveHub, pumpChanges } from './live/live-hub.ts';
export { liveRouter } from './live/live-router.ts';
export type { LiveframeServices, LiveOptions } from './live/live-services.ts';
export {
  type DerivedReadSet,
  type HeldRegistrations,
  type LiveQueryRef,
  LiveSessions,
} from './live/live-sessions.ts';
export { formatPositionId, parsePositionId, tryParsePositionId } from './live/position-id.ts';
export { ServerError, type ServerErrorCode } from './server-error.ts';
export { type LiveframeContext, liveframeContext } from './trpc/context.ts';
export { formatLiveframeError, type LiveframeErrorData, toTRPCError } from './trpc/error-formatter.ts';
export { type FrameEnvelope, unwrapFrameEnvelope } from './trpc/frame-envelope.ts';
export { createLiveframeMiddleware } from './trpc/liveframe-middleware.ts';
export {
  createCallerFactory,
  createRouter,
  type LiveframeMeta,
  liveQuery,
  mergeRouters,
  mutation,
  procedure,
} from './trpc/trpc-builder.ts';
