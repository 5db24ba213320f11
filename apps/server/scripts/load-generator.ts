import { parseArgs } from 'node:util';
import { runLoadGenerator } from '../src/domain/load-generator.ts';

/**
 * `npm run load -w @liveframe/demo-server -- --url http://127.0.0.1:3000 [--url ...] [--rate 10] [--token T]`
 * (env: LIVEFRAME_LOAD_URLS comma-separated, LIVEFRAME_LOAD_RATE).
 */
const { values } = parseArgs({
  options: { url: { type: 'string', multiple: true }, rate: { type: 'string' }, token: { type: 'string' } },
});
const urls = values.url ?? (process.env.LIVEFRAME_LOAD_URLS ?? 'http://127.0.0.1:3000').split(',');
const rate = Number(values.rate ?? process.env.LIVEFRAME_LOAD_RATE ?? 10);
const abort = new AbortController();
process.on('SIGINT', () => abort.abort());
process.on('SIGTERM', () => abort.abort());
console.log(`writing ${rate}/s through ${urls.join(', ')}`);
const result = await runLoadGenerator({
  urls,
  writesPerSecond: rate,
  signal: abort.signal,
  ...(values.token === undefined ? {} : { token: values.token }),
});
console.log(result);
