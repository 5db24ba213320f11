import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DbError } from '../errors.ts';
import { noteBatchFailure } from '../raw-result.ts';
import { hranaErrorToDbError, primaryUnavailable } from './hrana-errors.ts';
import type { HranaStmt, HranaStmtResult } from './hrana-values.ts';

/**
 * Writes to the primary over Hrana 3 HTTP pipelines (`POST /v3/pipeline`), on kept-alive
 * connections. This is the write path of replica mode: libsql-js's write delegation costs one
 * gRPC round trip per statement (~2 ms on localhost) plus a replica sync inside COMMIT, while a
 * pipeline costs ~1.2 ms and can carry BEGIN with the first statement, or a whole batch.
 * Every answer that committed carries the primary's replication index (the frame).
 */

type PipelineRequest =
  | { readonly type: 'execute'; readonly stmt: HranaStmt }
  | { readonly type: 'batch'; readonly batch: { readonly steps: readonly BatchStep[] } }
  | { readonly type: 'close' };

export interface BatchStep {
  readonly stmt: HranaStmt;
  readonly condition?: BatchCondition;
}
export type BatchCondition =
  | { readonly type: 'ok'; readonly step: number }
  | { readonly type: 'error'; readonly step: number }
  | { readonly type: 'not'; readonly cond: BatchCondition }
  | { readonly type: 'and'; readonly conds: readonly BatchCondition[] };

interface HranaError {
  readonly message: string;
  readonly code?: string | null;
}
type PipelineResult =
  | { readonly type: 'ok'; readonly response: PipelineResponse }
  | { readonly type: 'error'; readonly error: HranaError };
type PipelineResponse =
  | { readonly type: 'execute'; readonly result: HranaStmtResult }
  | {
      readonly type: 'batch';
      readonly result: {
        readonly step_results: readonly (HranaStmtResult | null)[];
        readonly step_errors: readonly (HranaError | null)[];
        readonly replication_index?: string | null;
      };
    }
  | { readonly type: 'close' };

interface PipelineReply {
  readonly baton: string | null;
  readonly base_url: string | null;
  readonly results: readonly PipelineResult[];
}

export interface BatchOutcome {
  readonly results: readonly HranaStmtResult[];
  readonly replicationIndex: number | null;
  /** The result of `options.tail`; null when it was not given or failed. */
  readonly tail: HranaStmtResult | null;
}

const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export class PrimaryHttp {
  readonly #base: URL;
  readonly #authToken: string | undefined;
  readonly #timeoutMs: number;
  readonly #agent: HttpAgent;
  readonly #onReplicationIndex: ((frame: number) => void) | undefined;
  #closed = false;

  /**
   * `onReplicationIndex` hears the newest primary frame of every answer, reads included (sqld
   * reports its current frame on every statement result): the replica driver keeps it to know
   * how far behind the primary it is without asking.
   */
  constructor(
    syncUrl: string,
    options: {
      authToken?: string | undefined;
      timeoutMs?: number;
      onReplicationIndex?: (frame: number) => void;
    } = {},
  ) {
    this.#onReplicationIndex = options.onReplicationIndex;
    this.#base = httpUrlOf(syncUrl);
    this.#authToken = options.authToken === '' ? undefined : options.authToken;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    const AgentClass = this.#base.protocol === 'https:' ? HttpsAgent : HttpAgent;
    // Idle sockets are dropped after 4 s, before common server and proxy keep-alive timeouts
    // (Node's own is 5 s): a write must not go out on a socket the other side is closing, since
    // a reset after sending leaves it unknown whether the primary committed. Requests in flight
    // use the request timeout instead.
    this.#agent = new AgentClass({ keepAlive: true, keepAliveMsecs: 1000, timeout: 4000 });
  }

  /** One statement in autocommit; its replication index is the frame it committed. */
  async execute(stmt: HranaStmt): Promise<HranaStmtResult> {
    const reply = await this.#pipeline(
      this.#base,
      null,
      [{ type: 'execute', stmt }, { type: 'close' }],
      stmt.sql,
    );
    return executeResult(reply.results[0], stmt.sql);
  }

  /**
   * All statements in one transaction, one request: BEGIN IMMEDIATE, each statement only if the
   * previous one succeeded, COMMIT, and ROLLBACK if anything failed. The first failure is thrown.
   */
  async batch(stmts: readonly HranaStmt[], options: { tail?: HranaStmt } = {}): Promise<BatchOutcome> {
    const steps: BatchStep[] = [{ stmt: { sql: 'BEGIN IMMEDIATE' } }];
    for (const stmt of stmts) steps.push({ stmt, condition: { type: 'ok', step: steps.length - 1 } });
    const lastStatement = steps.length - 1;
    // The tail only reads: it runs after the last statement, and its failure fails nothing.
    const tail = options.tail === undefined ? -1 : steps.length;
    if (options.tail !== undefined)
      steps.push({ stmt: options.tail, condition: { type: 'ok', step: lastStatement } });
    const commit = steps.length;
    steps.push({ stmt: { sql: 'COMMIT' }, condition: { type: 'ok', step: lastStatement } });
    steps.push({ stmt: { sql: 'ROLLBACK' }, condition: { type: 'not', cond: { type: 'ok', step: commit } } });
    const reply = await this.#pipeline(this.#base, null, [
      { type: 'batch', batch: { steps } },
      { type: 'close' },
    ]);
    const first = reply.results[0];
    if (first === undefined || first.type === 'error' || first.response.type !== 'batch') {
      throw first?.type === 'error' ? hranaErrorToDbError(first.error) : unexpected('batch');
    }
    const { step_results: results, step_errors: errors } = first.response.result;
    for (let i = 0; i <= commit; i++) {
      const error = errors[i];
      if (i !== tail && error !== null && error !== undefined) {
        const failure = hranaErrorToDbError(error, steps[i]?.stmt.sql);
        if (i >= 1 && i <= lastStatement) noteBatchFailure(failure, i - 1);
        throw failure;
      }
    }
    const index = first.response.result.replication_index;
    return {
      results: results.slice(1, lastStatement + 1) as HranaStmtResult[],
      replicationIndex: index === null || index === undefined ? null : Number(index),
      tail: tail === -1 ? null : (results[tail] ?? null),
    };
  }

  /** An interactive stream (one primary connection) for a transaction. */
  stream(): PrimaryStream {
    return new PrimaryStream((url, baton, requests, sql) =>
      this.#pipeline(url ?? this.#base, baton, requests, sql),
    );
  }

  close(): void {
    this.#closed = true;
    this.#agent.destroy();
  }

  #pipeline(
    url: URL,
    baton: string | null,
    requests: readonly PipelineRequest[],
    sql?: string,
  ): Promise<PipelineReply> {
    if (this.#closed) return Promise.reject(new DbError('CLOSED', 'the replica is closed', { sql }));
    const body = JSON.stringify({ baton, requests });
    const target = new URL('v3/pipeline', url.href.endsWith('/') ? url : `${url.href}/`);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<PipelineReply>((resolve, reject) => {
      const req = send(
        target,
        {
          method: 'POST',
          agent: this.#agent,
          timeout: this.#timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(this.#authToken === undefined ? {} : { authorization: `Bearer ${this.#authToken}` }),
          },
        },
        (res) =>
          readReply(res, sql).then((reply) => {
            this.#observe(reply);
            resolve(reply);
          }, reject),
      );
      req.setNoDelay(true);
      req.on('timeout', () => req.destroy(primaryUnavailable(`no answer within ${this.#timeoutMs} ms`, sql)));
      req.on('error', (error) =>
        reject(error instanceof DbError ? error : primaryUnavailable(error.message, sql, error)),
      );
      req.end(body);
    });
  }

  #observe(reply: PipelineReply): void {
    const listener = this.#onReplicationIndex;
    if (listener === undefined) return;
    let newest = -1;
    const note = (index: string | null | undefined) => {
      if (index === null || index === undefined) return;
      const frame = Number(index);
      if (Number.isSafeInteger(frame) && frame > newest) newest = frame;
    };
    for (const result of reply.results ?? []) {
      if (result.type !== 'ok') continue;
      const response = result.response;
      if (response.type === 'execute') note(response.result.replication_index);
      else if (response.type === 'batch') {
        note(response.result.replication_index);
        for (const step of response.result.step_results) note(step?.replication_index);
      }
    }
    if (newest < 0) return;
    try {
      listener(newest);
    } catch {
      // An observer's failure is not the request's.
    }
  }
}

type Send = (
  url: URL | undefined,
  baton: string | null,
  requests: readonly PipelineRequest[],
  sql?: string,
) => Promise<PipelineReply>;

/**
 * One Hrana stream: statements run on the same primary connection, in order. `begin` is not
 * sent on its own; it travels with the first statement, so a transaction of n statements costs
 * n + 1 round trips (the last one is COMMIT).
 */
export class PrimaryStream {
  readonly #send: Send;
  #baton: string | null = null;
  #url: URL | undefined;
  #pendingBegin: string | undefined;
  #prelude: readonly string[] = [];
  #closed = false;

  constructor(send: Send) {
    this.#send = send;
  }

  /**
   * `prelude`: statements sent before BEGIN on the same primary connection, for settings SQLite
   * refuses to change inside a transaction (`PRAGMA foreign_keys`). They end with the stream,
   * which closes at COMMIT or ROLLBACK.
   */
  begin(sql: string, prelude: readonly string[] = []): void {
    this.#pendingBegin = sql;
    this.#prelude = prelude;
  }

  async execute(stmt: HranaStmt): Promise<HranaStmtResult> {
    const results = await this.#round([stmt], false);
    return executeResult(results.at(-1), stmt.sql);
  }

  /** Runs the final statement (COMMIT or ROLLBACK) and closes the stream in the same request. */
  async finish(stmt: HranaStmt): Promise<HranaStmtResult> {
    if (this.#pendingBegin !== undefined) {
      // Nothing ran: no transaction was ever opened on the primary.
      this.#pendingBegin = undefined;
      this.#closed = true;
      return { cols: [], rows: [], affected_row_count: 0, last_insert_rowid: null, replication_index: null };
    }
    const results = await this.#round([stmt], true);
    return executeResult(results.at(-1), stmt.sql);
  }

  /**
   * COMMIT, preceded in the same request by `tail` (a read whose failure fails nothing), and
   * closes the stream.
   */
  async commit(tail?: HranaStmt): Promise<{ commit: HranaStmtResult; tail: HranaStmtResult | null }> {
    if (tail === undefined || this.#pendingBegin !== undefined)
      return { commit: await this.finish({ sql: 'COMMIT' }), tail: null };
    const results = await this.#round([tail, { sql: 'COMMIT' }], true);
    const read = results[0];
    return {
      commit: executeResult(results[1], 'COMMIT'),
      tail: read?.type === 'ok' && read.response.type === 'execute' ? read.response.result : null,
    };
  }

  /** Best effort: closes the primary connection (rolling back whatever is open there). */
  abandon(): void {
    if (this.#closed || this.#baton === null) return;
    this.#closed = true;
    this.#send(this.#url, this.#baton, [{ type: 'close' }]).catch(() => undefined);
  }

  async #round(stmts: readonly HranaStmt[], close: boolean): Promise<readonly PipelineResult[]> {
    if (this.#closed) throw new DbError('TRANSACTION_STATE', 'the transaction has already finished');
    const requests: PipelineRequest[] = [];
    const begin = this.#pendingBegin;
    const prelude = begin === undefined ? [] : this.#prelude;
    this.#pendingBegin = undefined;
    this.#prelude = [];
    for (const sql of prelude) requests.push({ type: 'execute', stmt: { sql } });
    if (begin !== undefined) requests.push({ type: 'execute', stmt: { sql: begin } });
    for (const stmt of stmts) requests.push({ type: 'execute', stmt });
    if (close) requests.push({ type: 'close' });
    let reply: PipelineReply;
    try {
      reply = await this.#send(this.#url, this.#baton, requests, stmts.at(-1)?.sql);
    } catch (error) {
      this.#closed = true;
      throw error;
    }
    this.#baton = reply.baton;
    if (reply.base_url !== null) this.#url = new URL(reply.base_url);
    if (close || reply.baton === null) this.#closed = true;
    let first = 0;
    for (const sql of prelude) executeResult(reply.results[first++], sql);
    if (begin !== undefined) executeResult(reply.results[first++], begin);
    return reply.results.slice(first, first + stmts.length);
  }
}

function executeResult(result: PipelineResult | undefined, sql: string): HranaStmtResult {
  if (result === undefined) throw unexpected('execute');
  if (result.type === 'error') throw hranaErrorToDbError(result.error, sql);
  if (result.response.type !== 'execute') throw unexpected('execute');
  return result.response.result;
}

function unexpected(what: string): DbError {
  return new DbError('INTERNAL', `the primary sent an unexpected answer to ${what}`);
}

function readReply(res: IncomingMessage, sql: string | undefined): Promise<PipelineReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy();
        reject(new DbError('LIMIT_EXCEEDED', 'the primary answered with more than 256 MiB', { sql }));
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', (error) => reject(primaryUnavailable(error.message, sql, error)));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = res.statusCode ?? 0;
      if (status >= 500 || status === 0) {
        reject(primaryUnavailable(`HTTP ${status} ${text.slice(0, 200)}`, sql));
        return;
      }
      if (status === 401 || status === 403) {
        reject(primaryUnavailable(`the primary refused the credentials (HTTP ${status})`, sql));
        return;
      }
      if (status === 400 && /baton/i.test(text)) {
        // The stream expired on the primary (idle too long, or the primary restarted).
        reject(new DbError('TRANSACTION_STATE', `the primary ended the transaction: ${text}`, { sql }));
        return;
      }
      if (status !== 200) {
        reject(
          new DbError('SQL_ERROR', `the primary answered HTTP ${status}: ${text.slice(0, 200)}`, { sql }),
        );
        return;
      }
      try {
        resolve(JSON.parse(text) as PipelineReply);
      } catch (error) {
        reject(new DbError('INTERNAL', 'the primary answered with invalid JSON', { sql, cause: error }));
      }
    });
  });
}

/** `libsql://` is HTTPS (Turso); ws URLs map to their HTTP twins. */
export function httpUrlOf(syncUrl: string): URL {
  const url = new URL(syncUrl);
  // `?tls=0` is libSQL's spelling of a plain-text primary (`libsql://localhost:8080?tls=0`).
  const plain = url.searchParams.get('tls') === '0';
  const protocol = plain
    ? 'http:'
    : { 'libsql:': 'https:', 'wss:': 'https:', 'ws:': 'http:', 'http:': 'http:', 'https:': 'https:' }[
        url.protocol
      ];
  if (protocol === undefined)
    throw new DbError('INVALID_OPTIONS', `unsupported primary URL scheme ${url.protocol}`);
  return new URL(`${protocol}//${url.host}${url.pathname}`);
}
