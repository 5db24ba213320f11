export { ADDON_PATH_ENV, addonPath } from './addon-binding.ts';
export type { Authorizer, AuthorizerAction, AuthorizerVerdict } from './authorizer-actions.ts';
export { authorizerActions } from './authorizer-actions.ts';
export type { ChangeEvent, ChangeOp } from './commit-batch.ts';
export { CommitBatch } from './commit-batch.ts';
export type { LoadLibsqlOptions } from './libsql-loader.ts';
export { LIBSQL_PATH_ENV, libsqlPlatformPackage, loadLibsql } from './libsql-loader.ts';
export type {
  BindParameters,
  ColumnInfo,
  LibsqlDatabase,
  LibsqlDatabaseConstructor,
  LibsqlOpenOptions,
  LibsqlRow,
  LibsqlStatement,
  LibsqlTransaction,
  RowMetadata,
  RunResult,
  SqlValue,
  SyncResult,
} from './libsql-types.ts';
export type { AttachOptions, CommitListener, CommitVeto } from './native-connection.ts';
export { attachExtension, NativeConnection } from './native-connection.ts';
export type { NativeErrorCode } from './native-error.ts';
export { NativeError } from './native-error.ts';
export { assertNotInCallback, inNativeCallback } from './reentrancy-guard.ts';
export type { AggregateOptions, FunctionOptions, SqlArgument, SqlResult } from './sql-function-types.ts';
export type { SqliteLimit } from './sqlite-limits.ts';
export { sqliteLimitIds } from './sqlite-limits.ts';
