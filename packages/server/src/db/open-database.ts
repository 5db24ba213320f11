import { openDatabase } from '@liveframe/db-core';
import type { LiveDatabase } from './database-contract.ts';

export type DatabaseOptions =
  | { readonly mode: 'local'; readonly path: string }
  | {
      readonly mode: 'replica';
      readonly path: string;
      readonly syncUrl: string;
      readonly authToken?: string;
      readonly syncIntervalMs?: number;
    };

/**
 * Opens the database the server runs on through db-core's `openDatabase` (local file, or an
 * embedded replica of a sqld/Turso primary); read-sets come from db-core's EXPLAIN analysis.
 *
 * @example await using db = await openLiveDatabase({ mode: 'local', path: 'data/app.db' });
 */
export async function openLiveDatabase(options: DatabaseOptions): Promise<LiveDatabase & AsyncDisposable> {
  const driver = await openDatabase(
    options.mode === 'local'
      ? { mode: 'local', path: options.path }
      : {
          mode: 'replica',
          path: options.path,
          syncUrl: options.syncUrl,
          ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
          ...(options.syncIntervalMs === undefined ? {} : { syncIntervalMs: options.syncIntervalMs }),
        },
  );
  return {
    driver,
    readSet: (sql, params) => driver.readSet(sql, params),
    // Local mode: undefined (no primary), so the lag metric reads 0.
    primaryPosition: () => driver.primaryPosition(),
    [Symbol.asyncDispose]: () => driver.close(),
  };
}
