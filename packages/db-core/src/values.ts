/** A value SQLite can store or bind. Integers outside the safe range travel as bigint. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** Positional (`?`, `?NNN`) or named (`:name`, `@name`, `$name`) parameters. */
export type BindParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

/** One result row keyed by column name. */
export type Row = Record<string, SqlValue>;
