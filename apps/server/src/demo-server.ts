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
  return createLiveframeServer({
    ...options,
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
