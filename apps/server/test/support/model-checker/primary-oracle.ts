import type { SqldProcess } from '@liveframe/native/testing';
import { canonical, type QueryInput, type Row, runAsync, shapeNamed } from './query-shapes.ts';

/**
 * The expected result of a query: the same shape program run directly against the primary over
 * Hrana. Memoized per check (nothing writes while the harness compares).
 */
export class PrimaryOracle {
  readonly #sqld: SqldProcess;
  #memo = new Map<string, Promise<string>>();

  constructor(sqld: SqldProcess) {
    this.#sqld = sqld;
  }

  /** Forget everything: the primary changed. */
  reset(): void {
    this.#memo = new Map();
  }

  expected(shape: string, input: QueryInput, ownerId: number): Promise<string> {
    const memoKey = `${shape}\0${canonical(input)}\0${ownerId}`;
    let result = this.#memo.get(memoKey);
    if (result === undefined) {
      result = runAsync(shapeNamed(shape).run(input, ownerId), async ({ sql, params }) => {
        const { columns, rows } = await this.#sqld.execute(sql, [...params]);
        return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])) as Row);
      }).then(canonical);
      this.#memo.set(memoKey, result);
    }
    return result;
  }
}
