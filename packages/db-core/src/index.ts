// Public entry of @liveframe/db-core (house rule 6): explicit named exports only.
export type {
  AggregateOptions,
  Authorizer,
  AuthorizerAction,
  AuthorizerVerdict,
  FunctionOptions,
  SqlArgument,
  SqliteLimit,
  SqlResult,
} from '@liveframe/native';
export type { CommitCapture, CommitCaptureFactory, CommittedTransaction } from './capture/commit-capture.ts';
export { NativeCommitCapture, nativeCommitCapture } from './capture/commit-capture.ts';
export type { CaptureEvent, ChangeOp, ChangeSet, TableChange } from './change-set.ts';
export { ChangeBroadcaster } from './change-stream.ts';
export type { ColumnInfo, ConnectionOptions, RunResult, StatementIterator } from './connection.ts';
export { Connection } from './connection.ts';
export type { CursorOptions } from './cursor.ts';
export { openCursor } from './cursor.ts';
export type { QueryOptions, TransactionOptions } from './database.ts';
export { Database, openDatabase } from './database.ts';
export type {
  BatchResult,
  BatchStatement,
  BatchStatementResult,
  ChangeStreamOptions,
  ConnectionMode,
  Driver,
  SyncResult,
  Transaction,
  TransactionBehavior,
  WaitForFrameResult,
  WriteResult,
} from './driver.ts';
export type { DbErrorCode, DbErrorOptions } from './errors.ts';
export { DbError, isDbError, toDbError } from './errors.ts';
export type { StatementInfo } from './introspection.ts';
export type { LibsqlClientSource } from './libsql-client/client-source.ts';
export { LiveframeTransaction } from './libsql-client/client-transaction.ts';
export type { LiveframeClientConfig } from './libsql-client/create-client.ts';
export { createClient } from './libsql-client/create-client.ts';
export type { StatementCheck } from './libsql-client/guarded-source.ts';
export { guardLibsqlSource, guardTransaction } from './libsql-client/guarded-source.ts';
export type { LibsqlClientOptions } from './libsql-client/libsql-client.ts';
export { createLibsqlClient, LiveframeLibsqlClient } from './libsql-client/libsql-client.ts';
export type { LiveframeClientErrorCode } from './libsql-client/libsql-errors.ts';
export { toLibsqlError } from './libsql-client/libsql-errors.ts';
export type { LocalDriverOptions } from './local-driver.ts';
export { LocalDriver } from './local-driver.ts';
export type { AppliedMigration, MigrateOptions, MigrateResult } from './migrations/migrate.ts';
export { migrate } from './migrations/migrate.ts';
export type { Migration, MigrationInput } from './migrations/migration.ts';
export { migrationHash } from './migrations/migration.ts';
export type { MigrationErrorCode } from './migrations/migration-error.ts';
export { MigrationError } from './migrations/migration-error.ts';
export type { MigrationsSource } from './migrations/migration-source.ts';
export { loadMigrations } from './migrations/migration-source.ts';
export { MIGRATIONS_TABLE } from './migrations/migrations-table.ts';
export type { LocalOpenOptions, OpenOptions, ReplicaOpenOptions } from './open-options.ts';
export type { FramePosition } from './position.ts';
export type {
  RawBatchResult,
  RawResult,
  RawTransaction,
  RawWriteResult,
  StatementKind,
} from './raw-result.ts';
export { batchFailureIndex } from './raw-result.ts';
export type { ConnectionRole, ConnectionSetup, LocalConnections } from './read-connection-pool.ts';
export { ReadConnectionPool } from './read-connection-pool.ts';
export type { ReadSet, RowFilter } from './read-set.ts';
export { ReadSetAnalyzer } from './read-set.ts';
export type { ChangeRowsJson } from './replica/primary-change-rows.ts';
export type { CompactReport, InstallReport } from './replica/protocol.ts';
export type { FreezeOptions, RetentionPolicy } from './replica/replica-driver.ts';
export type { ParameterInfo } from './sql-text.ts';
export type { BindParams, Row, SqlValue } from './values.ts';
export type { VectorDistance } from './vector.ts';
export { f32Blob, fromF32Blob, toF32Blob, topKSql, vectorIndexSql } from './vector.ts';
