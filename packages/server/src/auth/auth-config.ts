import type { Logger } from 'pino';
import type { ServerConfig } from '../config.ts';
import { ServerError } from '../server-error.ts';
import type { Authenticator, Identity } from './identity.ts';
import { signedTokenAuthenticator } from './signed-token.ts';

const SET_AUTH_SECRET = 'set authSecret (--auth-secret / LIVEFRAME_AUTH_SECRET) to a long random value';

/**
 * Refuses a start whose auth would let anyone in, before anything is opened: the signed-token
 * authenticator (no custom `authenticate`) without `authSecret` in replica mode (a cluster is a
 * deployment, not a laptop) or under `NODE_ENV=production`; `peers` without a shared secret.
 * Local development without a secret starts, and rejects every token (see config.ts for why no
 * secret is made up).
 *
 * @example assertAuthConfig(config, { customAuthenticator: false, env: process.env });
 */
export function assertAuthConfig(
  config: ServerConfig,
  context: { readonly customAuthenticator: boolean; readonly env: NodeJS.ProcessEnv },
): void {
  if (!context.customAuthenticator && config.authSecret === undefined) {
    if (config.primaryUrl !== undefined) {
      throw new ServerError(
        'INSECURE_CONFIG',
        `replica mode needs a secret for the bearer tokens: ${SET_AUTH_SECRET}, or pass your own authenticate`,
      );
    }
    if (context.env.NODE_ENV === 'production') {
      throw new ServerError(
        'INSECURE_CONFIG',
        `NODE_ENV=production needs a secret for the bearer tokens: ${SET_AUTH_SECRET}, or pass your own authenticate`,
      );
    }
  }
  if (config.peers.length > 0 && (config.peerSecret ?? config.authSecret) === undefined) {
    throw new ServerError(
      'INSECURE_CONFIG',
      'peers need a shared secret for sync hints: set peerSecret (--peer-secret / LIVEFRAME_PEER_SECRET) or authSecret (--auth-secret / LIVEFRAME_AUTH_SECRET), the same on every server',
    );
  }
}

/**
 * The authenticator used when the app passes none: signed tokens with `authSecret`, the
 * anonymous identity when `anonymous` is on. Without a secret every token is rejected.
 */
export function defaultAuthenticator(config: ServerConfig, logger: Logger): Authenticator {
  const anonymous: Identity | null = config.anonymous
    ? { userId: 'anonymous', tenantId: config.anonymousTenant, role: config.anonymousRole }
    : null;
  if (anonymous !== null) {
    logger.info(
      { tenantId: anonymous.tenantId, role: anonymous.role },
      'anonymous access is on: requests without a token get this identity',
    );
  }
  if (config.authSecret === undefined) {
    logger.warn(`no auth secret: every bearer token is rejected; ${SET_AUTH_SECRET}`);
    return (token) => (token === undefined || token === '' ? anonymous : null);
  }
  return signedTokenAuthenticator({ secret: config.authSecret, anonymous });
}
