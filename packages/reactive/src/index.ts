export type { ChangeHistoryLimits, HistoryCoverage, HistoryRecord } from './change-history.ts';
export { ChangeHistory } from './change-history.ts';
export type { CaptureEvent, ChangeOp, ChangeSet, TableChange } from './change-set.ts';
export { eventPosition, normalizeTableName } from './change-set.ts';
export type { ChangeSummary, TableDelta } from './change-summary.ts';
export {
  DEFAULT_MAX_ROWIDS_PER_TABLE,
  summarizeChanges,
  tableLevelSummary,
  tablesTouched,
} from './change-summary.ts';
export { applyPatch, PatchError } from './immutable-patch.ts';
export { sameJson } from './json-equal.ts';
export type {
  HubStats,
  LiveQueryHubOptions,
  PublishResult,
  QueryRef,
  RegisterQueryOptions,
  RegisterQueryResult,
  SubscribeOptions,
} from './live-query-hub.ts';
export { LiveQueryHub } from './live-query-hub.ts';
export type { RegisteredQuery, SubscriberMatch } from './live-query-registry.ts';
export { LiveQueryRegistry } from './live-query-registry.ts';
export type { LiveSubscription, SubscriptionEndReason } from './live-subscription.ts';
export type { FramePosition } from './position.ts';
export { comparePositions, formatPosition, isAtOrPast, parsePosition, tryParsePosition } from './position.ts';
export type { ReactiveErrorCode } from './reactive-error.ts';
export { ReactiveError } from './reactive-error.ts';
export type { ReadSet, RowFilter } from './read-set.ts';
export { normalizeReadSet, readSetOf } from './read-set.ts';
export { registrationDigest } from './registration-digest.ts';
export { sendRequestsPromptly } from './send-requests-promptly.ts';
export type {
  InvalidateEvent,
  LiveEvent,
  PushedData,
  PushedPatch,
  PushedResult,
  RefetchAllEvent,
  ResultsEvent,
  SubscriptionEvent,
} from './subscription-event.ts';
export { mergeInvalidations } from './subscription-event.ts';
