import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLiveframeServer,
  type LiveframeServer,
  type LiveframeServerOptions,
  tablePermissions,
} from '@liveframe/server';
import { appRouter } from './domain/app-router.ts';
import { DEMO_ROLES } from './domain/demo-schema.ts';
import { prepareDemoDatabase } from './domain/demo-setup.ts';

/** Options of the demo server: the library's, with the demo's router, schema and roles as defaults. */
export type DemoServerOptions = Omit<LiveframeServerOptions, 'router'> & {
  readonly router?: LiveframeServerOptions['router'];
};

/**
 * The demo dashboard's server: the liveframe library with the shop domain (router, migrations and
 * seed of the anonymous tenant, the demo roles' table rights). Anything given replaces the default.
 *
 * @example await using server = await createDemoServer({ config: loadDemoConfig(argv, env) });
 */
export function createDemoServer(options: DemoServerOptions = {}): Promise<LiveframeServer> {
  const custom = options.router !== undefined;
  const staticDir = options.config?.staticDir ?? dashboardDir();
  return createLiveframeServer({
    ...options,
    config: { ...options.config, ...(staticDir === undefined ? {} : { staticDir }) },
    router: options.router ?? appRouter,
    permissions: options.permissions ?? tablePermissions(DEMO_ROLES),
    ...(custom || options.prepareDatabase !== undefined || options.schema !== undefined
      ? {}
      : {
          prepareDatabase: (db, { config, logger }) =>
            prepareDemoDatabase(db, { seed: config.seed, tenantId: config.anonymousTenant, logger }),
        }),
  });
}

/**
 * The built dashboard (`apps/web/dist`), when it has been built: the demo serves it on its own
 * origin. Found from this file whether it runs from `src/` or compiled from `dist/src/`.
 */
function dashboardDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of [
    ['..', '..'],
    ['..', '..', '..'],
  ]) {
    const dir = resolve(here, ...up, 'web', 'dist');
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}
