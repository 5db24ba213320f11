import type { TableChange } from '../change-set.ts';
import type { Connection } from '../connection.ts';

/** What one committed transaction changed, as the native commit hook reports it. */
export interface CommittedTransaction {
  readonly changes: readonly TableChange[];
}

/**
 * Local-mode change capture on the write connection. The native extension buffers update-hook
 * events per transaction, drops them on rollback (and on ROLLBACK TO a savepoint) and hands
 * one batch per commit to `drain()`; the driver drains right after every statement, so events
 * leave in commit order and without delay.
 */
export interface CommitCapture {
  drain(): CommittedTransaction[];
  close(): void;
}

/** Installs capture on the writer; returns undefined when the native extension is unavailable. */
export type CommitCaptureFactory = (writer: Connection) => CommitCapture | undefined;
