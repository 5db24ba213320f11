import { loadConfig, type ServerConfig } from '@liveframe/server';

/**
 * HMAC secret of the demo's bearer tokens in local development. Public (it is in the source), so
 * it is only ever a default of the demo CLI on a laptop, never of the library.
 */
export const DEMO_DEV_SECRET = 'liveframe-demo-dev-secret-not-for-production';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The demo CLI's options (`npm start`, `src/main.ts`): {@link loadConfig} plus the demo's
 * development conveniences, turned on here explicitly because the library's defaults are safe
 * (no anonymous access, no secret). In local development (local mode, a loopback `host`, not
 * `NODE_ENV=production`) requests without a token are the anonymous admin of the demo tenant (the
 * browser dashboard sends no token) and tokens are signed with {@link DEMO_DEV_SECRET}. Anything
 * else (replica mode, `--host 0.0.0.0`, production) gets the library's defaults, since `main.ts`
 * is also how a deployment starts. Flags and environment variables override all of it
 * (`--no-anonymous`, `--auth-secret`, ...).
 *
 * @example const config = loadDemoConfig(process.argv.slice(2), process.env);
 */
export function loadDemoConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  const config = loadConfig(argv, env);
  const development =
    env.NODE_ENV !== 'production' && config.primaryUrl === undefined && LOOPBACK_HOSTS.has(config.host);
  if (!development) return config;
  return loadConfig(argv, env, { anonymous: true, anonymousRole: 'admin', authSecret: DEMO_DEV_SECRET });
}
