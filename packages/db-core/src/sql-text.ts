/**
 * A small SQL lexer. libsql-js offers no parameter metadata, silently binds missing positional
 * parameters as NULL, panics (aborting the process) on unknown named parameters, and silently
 * ignores every statement after the first in `prepare()`. Knowing the parameters and the
 * statement boundaries ourselves is what lets db-core refuse those inputs with a typed error.
 */

export interface ParameterInfo {
  /** Highest parameter index, as `sqlite3_bind_parameter_count` would report it. */
  readonly count: number;
  /** Index i-1 holds the name of parameter i with its prefix (`:id`), or null for `?`/`?NNN`. */
  readonly names: readonly (string | null)[];
  readonly hasNamed: boolean;
  readonly hasAnonymous: boolean;
}

export interface SqlShape {
  /** Number of non-empty statements in the text. */
  readonly statementCount: number;
  /** First keyword of the first statement, upper-cased (`SELECT`, `WITH`, `INSERT`...). */
  readonly firstKeyword: string;
  /** Parameters of the first statement. */
  readonly parameters: ParameterInfo;
  /** True when any statement is CREATE, DROP or ALTER: cached statement metadata must be refreshed. */
  readonly changesSchema: boolean;
  /**
   * True when REPLACE appears as a conflict policy (`REPLACE INTO`, `OR REPLACE`), not as the
   * `replace()` function: such statements can delete rows without an update-hook event.
   */
  readonly mayReplace: boolean;
}

const isIdentChar = (c: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

interface Token {
  readonly kind: 'word' | 'param' | 'semicolon' | 'other';
  readonly text: string;
  /** Offset just past the token in the SQL text. */
  readonly end: number;
}

function* tokens(sql: string): Generator<Token> {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      while (j < n) {
        if (sql[j] === close) {
          if (close !== ']' && sql[j + 1] === close) j += 2;
          else break;
        } else j++;
      }
      yield { kind: 'other', text: sql.slice(i, j + 1), end: j + 1 };
      i = j + 1;
    } else if (c === '?') {
      let j = i + 1;
      while (j < n && /[0-9]/.test(sql[j]!)) j++;
      yield { kind: 'param', text: sql.slice(i, j), end: j };
      i = j;
    } else if ((c === ':' || c === '@' || c === '$') && i + 1 < n && isIdentChar(sql[i + 1]!)) {
      let j = i + 1;
      while (j < n && (isIdentChar(sql[j]!) || (c === '$' && sql[j] === ':' && sql[j + 1] === ':'))) {
        j += sql[j] === ':' ? 2 : 1;
      }
      yield { kind: 'param', text: sql.slice(i, j), end: j };
      i = j;
    } else if (c === ';') {
      yield { kind: 'semicolon', text: ';', end: i + 1 };
      i++;
    } else if (isIdentChar(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(sql[j]!)) j++;
      yield { kind: 'word', text: sql.slice(i, j), end: j };
      i = j;
    } else {
      yield { kind: 'other', text: c, end: i + 1 };
      i++;
    }
  }
}

/** Splits, classifies and inspects SQL text without asking the engine. */
export function analyzeSql(sql: string): SqlShape {
  let statementCount = 0;
  let firstKeyword = '';
  let tokensInStatement = 0;
  // CREATE TRIGGER bodies contain semicolons; like sqlite3_complete(), only `END ;` ends them.
  let inTrigger = false;
  let sawCreate = false;
  let previousWord = '';
  const names: (string | null)[] = [];
  const nameIndex = new Map<string, number>();
  let hasNamed = false;
  let hasAnonymous = false;
  let changesSchema = false;
  let mayReplace = false;
  let pendingReplace = false;

  for (const token of tokens(sql)) {
    if (pendingReplace) {
      if (token.text !== '(') mayReplace = true;
      pendingReplace = false;
    }
    if (token.kind === 'semicolon') {
      if (inTrigger && previousWord !== 'END') {
        previousWord = '';
        continue;
      }
      if (tokensInStatement > 0) statementCount++;
      tokensInStatement = 0;
      inTrigger = false;
      sawCreate = false;
      previousWord = '';
      continue;
    }
    tokensInStatement++;
    const upper = token.kind === 'word' ? token.text.toUpperCase() : '';
    if (upper === 'REPLACE') pendingReplace = true;
    if (tokensInStatement === 1 && statementCount === 0) firstKeyword = upper;
    if (tokensInStatement === 1) {
      sawCreate = upper === 'CREATE';
      if (sawCreate || upper === 'DROP' || upper === 'ALTER') changesSchema = true;
    }
    if (sawCreate && tokensInStatement <= 3 && upper === 'TRIGGER') inTrigger = true;
    previousWord = upper;
    if (token.kind !== 'param' || statementCount > 0) continue;
    if (token.text.startsWith('?')) {
      hasAnonymous = true;
      const index = token.text.length > 1 ? Number(token.text.slice(1)) : names.length + 1;
      while (names.length < index) names.push(null);
    } else {
      hasNamed = true;
      if (!nameIndex.has(token.text)) {
        names.push(token.text);
        nameIndex.set(token.text, names.length);
      }
    }
  }
  if (tokensInStatement > 0) statementCount++;
  return {
    statementCount,
    firstKeyword,
    parameters: { count: names.length, names, hasNamed, hasAnonymous },
    changesSchema,
    mayReplace: mayReplace || pendingReplace,
  };
}

/**
 * Splits a script into its statements (text without the trailing semicolon), with the same
 * trigger-body rule as `analyzeSql`.
 *
 * @example splitStatements('CREATE TABLE a(x); INSERT INTO a VALUES (1);') // ['CREATE TABLE a(x)', ' INSERT INTO a VALUES (1)']
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let tokensInStatement = 0;
  let inTrigger = false;
  let sawCreate = false;
  let previousWord = '';
  for (const token of tokens(sql)) {
    if (token.kind === 'semicolon') {
      if (inTrigger && previousWord !== 'END') {
        previousWord = '';
        continue;
      }
      if (tokensInStatement > 0) out.push(sql.slice(start, token.end - 1));
      start = token.end;
      tokensInStatement = 0;
      inTrigger = false;
      sawCreate = false;
      previousWord = '';
      continue;
    }
    tokensInStatement++;
    const upper = token.kind === 'word' ? token.text.toUpperCase() : '';
    if (tokensInStatement === 1) sawCreate = upper === 'CREATE';
    if (sawCreate && tokensInStatement <= 3 && upper === 'TRIGGER') inTrigger = true;
    previousWord = upper;
  }
  if (tokensInStatement > 0) out.push(sql.slice(start));
  return out;
}
