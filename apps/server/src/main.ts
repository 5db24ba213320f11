import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from './config.ts';
import { createLiveframeServer } from './http/liveframe-server.ts';

/**
 * CLI entry: `node --import tsx src/main.ts [--port 3000] [--db data/liveframe.db] [--primary URL] ...`
 * (every option in config.ts). SIGTERM/SIGINT drain clients, then exit.
 */
const config = loadConfig(process.argv.slice(2), process.env);
mkdirSync(dirname(config.dbPath), { recursive: true });
const server = await createLiveframeServer({ config });
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
