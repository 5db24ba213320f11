import type { Driver } from '@liveframe/server';

const CATEGORIES = ['Hardware', 'Software', 'Services', 'Books'];
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN'];
const PRODUCTS = [
  'Keyboard',
  'Monitor',
  'Laptop',
  'Headset',
  'Webcam',
  'Dock',
  'Mouse',
  'Cable',
  'Licence',
  'Support',
];

/** Deterministic pseudo-random numbers, so every seeded database looks the same. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Seeds a tenant with products, customers and a day of orders, once (a tenant that has products
 * is left alone). Runs in one transaction, so concurrent servers cannot seed twice.
 *
 * @example await seedDemoData(driver, { tenantId: 'demo', orders: 500 });
 */
export async function seedDemoData(
  driver: Driver,
  options: { tenantId: string; products?: number; customers?: number; orders?: number; now?: number },
): Promise<boolean> {
  const random = mulberry32(42);
  const now = options.now ?? Date.now();
  const { value } = await driver.transaction(
    async (tx) => {
      const existing = await tx.get<{ n: number }>('SELECT count(*) AS n FROM products WHERE tenant_id = ?', [
        options.tenantId,
      ]);
      if ((existing?.n ?? 0) > 0) return false;
      const productIds: number[] = [];
      const prices: number[] = [];
      for (let i = 0; i < (options.products ?? 20); i++) {
        const price = 500 + Math.floor(random() * 20_000);
        const name = `${PRODUCTS[i % PRODUCTS.length]} ${Math.floor(i / PRODUCTS.length) + 1}`;
        const r = await tx.run(
          'INSERT INTO products (tenant_id, name, category, price_cents) VALUES (?, ?, ?, ?)',
          [options.tenantId, name, CATEGORIES[i % CATEGORIES.length]!, price],
        );
        productIds.push(Number(r.lastInsertRowid));
        prices.push(price);
      }
      const customerIds: number[] = [];
      for (let i = 0; i < (options.customers ?? 50); i++) {
        const r = await tx.run(
          'INSERT INTO customers (tenant_id, name, email, country, created_at) VALUES (?, ?, ?, ?, ?)',
          [
            options.tenantId,
            `Customer ${i + 1}`,
            `customer${i + 1}@example.com`,
            COUNTRIES[i % COUNTRIES.length]!,
            now,
          ],
        );
        customerIds.push(Number(r.lastInsertRowid));
      }
      const statuses = ['pending', 'paid', 'shipped', 'cancelled'];
      const orders = options.orders ?? 300;
      for (let i = 0; i < orders; i++) {
        const createdAt = now - Math.floor(((orders - i) / orders) * 24 * 3600_000);
        const customer = customerIds[Math.floor(random() * customerIds.length)]!;
        const p = Math.floor(random() * productIds.length);
        const quantity = 1 + Math.floor(random() * 3);
        const total = prices[p]! * quantity;
        const status = statuses[Math.floor(random() * statuses.length)]!;
        const order = await tx.run(
          'INSERT INTO orders (tenant_id, customer_id, status, total_cents, created_at) VALUES (?, ?, ?, ?, ?)',
          [options.tenantId, customer, status, total, createdAt],
        );
        await tx.run(
          'INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?, ?, ?, ?)',
          [order.lastInsertRowid, productIds[p]!, quantity, prices[p]!],
        );
      }
      return true;
    },
    { behavior: 'immediate' },
  );
  return value;
}
