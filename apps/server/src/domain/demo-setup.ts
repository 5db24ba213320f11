import type { Database } from '@liveframe/server';
import type { Logger } from 'pino';
import { DEMO_SCHEMA } from './demo-schema.ts';
import { seedDemoData } from './demo-seed.ts';

const DEMO_TABLES = ['products', 'customers', 'orders', 'order_items', 'events'] as const;

/**
 * Brings a server's database to the demo schema before it serves. Every server of a cluster runs
 * this at start; each step is idempotent and, in replica mode, runs on the primary:
 * 1. the migration, only when the (already synced) replica lacks a demo table;
 * 2. replica mode: `installChangeLog` (triggers on every user table; a no-op when up to date) --
 *    every server installs, so whichever starts first after a migration covers it;
 * 3. the seed, one transaction that seeds only an empty tenant (concurrent servers cannot seed twice).
 *
 * @example await prepareDemoDatabase(db, { seed: true, tenantId: 'demo', logger });
 */
export async function prepareDemoDatabase(
  db: Database,
  options: { seed: boolean; tenantId: string; logger: Logger },
): Promise<void> {
  const present = new Set(
    db
      .all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'")
      .map((row) => row.name.toLowerCase()),
  );
  if (DEMO_TABLES.some((table) => !present.has(table))) {
    await db.exec(DEMO_SCHEMA);
    options.logger.info('demo schema migrated');
  }
  if (db.mode === 'replica') {
    const report = await db.installChangeLog();
    options.logger.debug({ tables: report.tables }, 'change log installed');
  }
  if (options.seed) {
    const seeded = db.get<{ n: number }>('SELECT count(*) AS n FROM products WHERE tenant_id = ?', [
      options.tenantId,
    ]);
    if ((seeded?.n ?? 0) === 0 && (await seedDemoData(db, { tenantId: options.tenantId }))) {
      options.logger.info({ tenant: options.tenantId }, 'demo data seeded');
    }
  }
}
