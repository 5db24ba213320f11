import { tempDir } from '../shared/temp-dir.ts';
import { connect, outcome, startTenantServer, tokenFor } from './tenant-app.ts';

using dir = tempDir('tenants');
await using server = await startTenantServer(dir.file('app.db'));
console.log(`server at ${server.url}, tenants acme and globex`);

await using acmeAdmin = connect(server, tokenFor('ada', 'acme', 'admin'));
await using acmeAnalyst = connect(server, tokenFor('ann', 'acme', 'analyst'));
await using globexAdmin = connect(server, tokenFor('gus', 'globex', 'admin'));

// Row level: each tenant sees its own orders only.
const acmeOrders = await acmeAdmin.trpc.orders.list.query({ pageSize: 1 });
const globexOrders = await globexAdmin.trpc.orders.list.query({ pageSize: 1 });
const acmeOrderId = acmeOrders.rows[0]!.id; // newest first
console.log(`acme sees ${acmeOrders.total} orders, globex sees ${globexOrders.total}`);
console.log(
  `globex asks for acme's order #${acmeOrderId}:`,
  await globexAdmin.trpc.orders.byId.query({ id: acmeOrderId }),
);
console.log(
  `globex tries to change acme's order: ${await outcome(() => globexAdmin.trpc.orders.setStatus.mutate({ id: acmeOrderId, status: 'cancelled' }))}`,
);

// Table level: the analyst may not read customers, directly or through a join.
console.log(
  `analyst reads customers: ${await outcome(() => acmeAnalyst.trpc.catalog.customers.query({ limit: 5 }))}`,
);
console.log(
  `analyst lists orders (joins customers): ${await outcome(() => acmeAnalyst.trpc.orders.list.query({}))}`,
);
console.log(`analyst reads the KPIs: ${await outcome(() => acmeAnalyst.trpc.dashboard.kpis.query({}))}`);

// Events: the analyst watches the KPIs; a job changes a customer and an order in one transaction.
const ack = await acmeAnalyst.subscribe();
await acmeAnalyst.watch(ack.position, { kpis: { path: 'dashboard.kpis', input: {} } });
await server.services.database.driver.transaction(async (tx) => {
  await tx.run(
    "UPDATE customers SET email = 'new@acme.example' WHERE tenant_id = 'acme' AND id = (SELECT min(id) FROM customers WHERE tenant_id = 'acme')",
  );
  await tx.run("UPDATE orders SET status = 'paid' WHERE id = ?", [acmeOrderId]);
});
console.log('the analyst hears (no row data, no customers table):', await acmeAnalyst.events.next());
