/**
 * The demo domain of the realtime dashboard: a shop with products, customers, orders (+ items)
 * and an events stream, every row scoped to a tenant. Idempotent, so every server of a cluster
 * may run it at start.
 */
export const DEMO_SCHEMA = `
CREATE TABLE IF NOT EXISTS products (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);
CREATE TABLE IF NOT EXISTS customers (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  country TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
  total_cents INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_tenant_created ON orders (tenant_id, created_at);
CREATE TABLE IF NOT EXISTS order_items (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  price_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS order_items_order ON order_items (order_id);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  order_id INTEGER,
  message TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_tenant_created ON events (tenant_id, created_at);
`;

/** Tables every tenant-scoped query filters by `tenant_id`. */
export const DEMO_TABLES = ['products', 'customers', 'orders', 'order_items', 'events'] as const;

/**
 * Default table rights of the demo roles: `admin` reads everything, `analyst` everything but the
 * customers' personal data.
 */
export const DEMO_ROLES: Readonly<Record<string, '*' | readonly string[]>> = {
  admin: '*',
  analyst: ['products', 'orders', 'order_items', 'events'],
};
