/** Run-time limits settable with sqlite3_limit, by the name after SQLITE_LIMIT_. */
export const sqliteLimitIds = {
  LENGTH: 0,
  SQL_LENGTH: 1,
  COLUMN: 2,
  EXPR_DEPTH: 3,
  COMPOUND_SELECT: 4,
  VDBE_OP: 5,
  FUNCTION_ARG: 6,
  ATTACHED: 7,
  LIKE_PATTERN_LENGTH: 8,
  VARIABLE_NUMBER: 9,
  TRIGGER_DEPTH: 10,
  WORKER_THREADS: 11,
} as const;

export type SqliteLimit = keyof typeof sqliteLimitIds;
