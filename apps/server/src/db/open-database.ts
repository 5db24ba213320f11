import type { LiveDatabase } from './database-contract.ts';
import { InterimLocalDriver } from './interim-local-driver.ts';
import { explainReadSet } from './interim-read-set.ts';

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
 * Opens the database the server runs on. This is the single seam to db-core: it will call
 * db-core's `openDatabase` and `readSet`; until that facade lands, local mode runs on a stopgap
 * driver and replica mode reports that it is not available yet.
 *
 * @example await using db = await openLiveDatabase({ mode: 'local', path: 'data/app.db' });
 */
export async function openLiveDatabase(options: DatabaseOptions): Promise<LiveDatabase & AsyncDisposable> {
  if (options.mode === 'replica') {
    throw new Error('replica mode needs @liveframe/db-core openDatabase, which has not landed yet');
  }
  const driver = new InterimLocalDriver(options.path);
  return {
    driver,
    readSet: (sql, params) => explainReadSet(driver.explainConnection, sql, params),
    [Symbol.asyncDispose]: () => driver.close(),
  };
}
