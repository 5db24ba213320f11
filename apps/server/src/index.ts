/**
 * @liveframe/server: the liveframe server app and the parts it is built from, so an app can
 * assemble its own server the same way (PROTOCOL.md describes the wire protocol).
 */
export type { Authenticator, Identity } from './auth/identity.ts';
export {
  type JwtAuthenticatorOptions,
  type JwtKeySource,
  jwtAuthenticator,
} from './auth/jwt-authenticator.ts';
export { signedTokenAuthenticator, signToken } from './auth/signed-token.ts';
export { type TablePermissions, tablePermissions } from './auth/table-permissions.ts';
export { loadConfig, type ServerConfig, type ServerConfigInput, serverConfigSchema } from './config.ts';
export type { Database, Driver, FramePosition, LiveDatabase, ReadSet } from './db/database-contract.ts';
export { type DatabaseOptions, openLiveDatabase } from './db/open-database.ts';
export {
  type CapturedStatement,
  mergeReadSets,
  type RequestDatabase,
} from './db/request-database.ts';
export { type AppRouter, appRouter } from './domain/app-router.ts';
export { DEMO_ROLES, DEMO_SCHEMA } from './domain/demo-schema.ts';
export { seedDemoData } from './domain/demo-seed.ts';
export { ORDER_STATUSES, type OrderRow } from './domain/orders-router.ts';
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
export type { LiveframeContext } from './trpc/context.ts';
export { formatLiveframeError, type LiveframeErrorData, toTRPCError } from './trpc/error-formatter.ts';
export { type FrameEnvelope, unwrapFrameEnvelope } from './trpc/frame-envelope.ts';
export {
  createCallerFactory,
  createRouter,
  type LiveframeMeta,
  liveQuery,
  mergeRouters,
  mutation,
  procedure,
} from './trpc/trpc-builder.ts';
