import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type LiveframeServer, ServerError } from '@liveframe/server';
import { DEMO_DEV_SECRET, loadDemoConfig } from './demo-config.ts';
import { createDemoServer } from './demo-server.ts';

/**
 * CLI entry of the demo: `node dist/src/main.js [--port 3000] [--db data/liveframe.db] [--primary URL] ...`
 * (every option in config.ts; the demo's development defaults in demo-config.ts). SIGTERM/SIGINT
 * drain clients, then exit.
 */
const config = loadDemoConfig(process.argv.slice(2), process.env);
mkdirSync(dirname(config.dbPath), { recursive: true });
let server: LiveframeServer;
try {
  server = await createDemoServer({ config });
} catch (error) {
  // A refused configuration is the operator's to fix: the message says what to set, no stack.
  if (!(error instanceof ServerError) || error.code !== 'INSECURE_CONFIG') throw error;
  process.stderr.write(`liveframe: ${error.message}\n`);
  process.exit(1);
}
if (config.authSecret === DEMO_DEV_SECRET) {
  server.services.logger.warn(
    'demo: bearer tokens are signed with the public dev secret; set LIVEFRAME_AUTH_SECRET for anything but local development',
  );
}
// Child-process fixtures read this line to learn the port.
process.stdout.write(`${JSON.stringify({ liveframe: 'listening', url: server.url, port: server.port })}\n`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  server.services.logger.info({ signal }, 'shutting down');
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      server.services.logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
