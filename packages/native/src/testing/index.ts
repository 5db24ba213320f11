/**
 * Test and development fixtures: a real sqld primary on free ports, and a direct Hrana client.
 * Node builtins only; safe to import from any package's tests and from cluster scripts.
 */
export { freePort } from './free-port.ts';
export { HranaError, type HranaResult, type HranaValue, hranaExecute } from './hrana-client.ts';
export { type SqldOptions, SqldProcess, sqldBinaryPath, startSqld } from './sqld-fixture.ts';
