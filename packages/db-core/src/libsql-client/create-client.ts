import type { Config } from '@libsql/core/api';
import { LibsqlError } from '@libsql/core/api';
import { expandConfig } from '@libsql/core/config';
import { openDatabase } from '../database.ts';
import type { OpenOptions } from '../open-options.ts';
import { type LibsqlClientOptions, LiveframeLibsqlClient } from './libsql-client.ts';

/** `@libsql/client`'s config plus this client's own options (see {@link LibsqlClientOptions}). */
export type LiveframeClientConfig = Config & Pick<LibsqlClientOptions, 'transactionTimeoutMs' | 'onWrite'>;

/**
 * Drop-in for `@libsql/client`'s `createClient` over a database liveframe opens itself: a local
 * file (`url: 'file:app.db'`) or an embedded replica of a sqld/Turso primary (`url:
 * 'file:replica.db'` with `syncUrl`, `authToken`, `syncInterval` in seconds). The database opens
 * in the background (a replica starts its worker and syncs first): an open failure surfaces at
 * the first call. `close()` closes it. Remote URLs (`libsql:`, `http(s):`, `ws(s):`) and
 * in-memory databases are refused with the LibsqlError codes listed in the README.
 *
 * @example
 * const client = createClient({ url: 'file:replica.db', syncUrl: 'http://127.0.0.1:8080', intMode: 'bigint' });
 * await client.execute('SELECT 1');
 */
export function createClient(config: LiveframeClientConfig): LiveframeLibsqlClient {
  // Upstream's own parsing: the same URL_* errors and intMode TypeError for the same configs.
  const expanded = expandConfig(config, true);
  if (expanded.scheme !== 'file') {
    throw new LibsqlError(
      `URL scheme ${JSON.stringify(`${expanded.scheme}:`)} is not supported by liveframe's client: it runs over a ` +
        "local file or an embedded replica of one (url: 'file:...', with syncUrl for a replica). " +
        'Use @libsql/client itself for a remote database.',
      'URL_SCHEME_NOT_SUPPORTED',
    );
  }
  const authority = expanded.authority;
  if (authority !== undefined) {
    const host = authority.host.toLowerCase();
    if (
      (host !== '' && host !== 'localhost') ||
      authority.port !== undefined ||
      authority.userinfo !== undefined
    ) {
      throw new LibsqlError(`Invalid host in file URL: ${JSON.stringify(authority.host)}`, 'URL_INVALID');
    }
  }
  const path = expanded.path;
  if (path === '' || path.startsWith(':memory:')) {
    throw new LibsqlError(
      "in-memory databases are not supported: liveframe reads and writes on separate connections to one file; use url: 'file:<path>'",
      'URL_INVALID',
    );
  }
  if (expanded.encryptionKey !== undefined || expanded.remoteEncryptionKey !== undefined) {
    throw new LibsqlError('encrypted databases are not supported by liveframe', 'NOT_SUPPORTED');
  }
  if (expanded.offline === true) {
    throw new LibsqlError('offline writes are not supported by liveframe', 'NOT_SUPPORTED');
  }
  const options: OpenOptions =
    expanded.syncUrl === undefined
      ? {
          mode: 'local',
          path,
          ...(expanded.timeout === undefined ? {} : { busyTimeoutMs: expanded.timeout }),
        }
      : {
          mode: 'replica',
          path,
          syncUrl: expanded.syncUrl,
          ...(expanded.authToken === undefined ? {} : { authToken: expanded.authToken }),
          ...(expanded.syncInterval === undefined ? {} : { syncIntervalMs: expanded.syncInterval * 1000 }),
          ...(expanded.timeout === undefined ? {} : { busyTimeoutMs: expanded.timeout }),
        };
  return new LiveframeLibsqlClient(() => openDatabase(options), {
    intMode: expanded.intMode,
    ownsSource: true,
    ...(expanded.timeout === undefined ? {} : { timeout: expanded.timeout }),
    ...(config.transactionTimeoutMs === undefined
      ? {}
      : { transactionTimeoutMs: config.transactionTimeoutMs }),
    ...(config.onWrite === undefined ? {} : { onWrite: config.onWrite }),
  });
}
