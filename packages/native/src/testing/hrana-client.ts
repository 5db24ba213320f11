/**
 * A minimal Hrana-over-HTTP (v2 pipeline) client for talking to a sqld primary directly, the
 * way a shell on the primary or another service would. Tests use it to write behind the
 * replicas' backs; it also exposes `replication_index`, which @libsql/client hides.
 */

export type HranaValue = null | number | bigint | string | Uint8Array;

export interface HranaResult {
  columns: string[];
  rows: HranaValue[][];
  affectedRowCount: number;
  lastInsertRowid: bigint | null;
  /** Frame number the primary reached with this statement (null for pure reads on some versions). */
  replicationIndex: number | null;
}

interface WireValue {
  type: 'null' | 'integer' | 'float' | 'text' | 'blob';
  value?: string | number;
  base64?: string;
}

function toWire(value: HranaValue): WireValue {
  if (value === null) return { type: 'null' };
  if (typeof value === 'bigint') return { type: 'integer', value: value.toString() };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { type: 'integer', value: String(value) } : { type: 'float', value };
  }
  if (typeof value === 'string') return { type: 'text', value };
  return { type: 'blob', base64: Buffer.from(value).toString('base64') };
}

function fromWire(value: WireValue): HranaValue {
  switch (value.type) {
    case 'null':
      return null;
    case 'integer': {
      const big = BigInt(value.value as string);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    case 'float':
      return Number(value.value);
    case 'text':
      return String(value.value);
    case 'blob':
      return new Uint8Array(Buffer.from(value.base64 ?? '', 'base64'));
  }
}

export class HranaError extends Error {
  readonly code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HranaError';
    this.code = code;
  }
}

interface ExecuteResponse {
  cols: { name: string | null }[];
  rows: WireValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  replication_index?: string | null;
}

type PipelineResult =
  | { type: 'ok'; response: { type: string; result?: ExecuteResponse } }
  | { type: 'error'; error: { message: string; code?: string } };

/**
 * Runs statements on the primary in one pipeline (one HTTP request, one stream, so they see
 * each other's effects in order; wrap them in BEGIN/COMMIT for atomicity).
 *
 * @example const [r] = await hranaExecute(sqld.url, [{ sql: 'SELECT ?', args: [1] }]);
 */
export async function hranaExecute(
  baseUrl: string,
  statements: readonly { sql: string; args?: readonly HranaValue[] }[],
  options: { authToken?: string; timeoutMs?: number } = {},
): Promise<HranaResult[]> {
  const requests = [
    ...statements.map((s) => ({ type: 'execute', stmt: { sql: s.sql, args: (s.args ?? []).map(toWire) } })),
    { type: 'close' },
  ];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.authToken !== undefined) headers.authorization = `Bearer ${options.authToken}`;
  const response = await fetch(new URL('/v2/pipeline', baseUrl), {
    method: 'POST',
    headers,
    body: JSON.stringify({ baton: null, requests }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  if (!response.ok) {
    throw new HranaError(`primary answered HTTP ${response.status}: ${await response.text()}`, 'HTTP_ERROR');
  }
  const body = (await response.json()) as { results: PipelineResult[] };
  const out: HranaResult[] = [];
  for (const [index, result] of body.results.slice(0, statements.length).entries()) {
    if (result.type === 'error') {
      const sql = statements[index]?.sql ?? '';
      throw new HranaError(`${result.error.message} (sql: ${sql})`, result.error.code ?? 'SQL_ERROR');
    }
    const r = result.response.result;
    if (r === undefined) throw new HranaError('primary returned no execute result', 'PROTOCOL_ERROR');
    out.push({
      columns: r.cols.map((c) => c.name ?? ''),
      rows: r.rows.map((row) => row.map(fromWire)),
      affectedRowCount: r.affected_row_count,
      lastInsertRowid: r.last_insert_rowid === null ? null : BigInt(r.last_insert_rowid),
      replicationIndex:
        r.replication_index === undefined || r.replication_index === null
          ? null
          : Number(r.replication_index),
    });
  }
  return out;
}
