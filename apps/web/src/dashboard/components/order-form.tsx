import { optimisticUpdate, useLiveQuery } from '@liveframe/react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import type { Customer, Inputs, OrderStatus, OrdersPage, Product } from '../api-types.ts';
import { formatCents } from '../format.ts';
import { STATUSES } from '../order-statuses.ts';
import { useTRPC } from '../use-trpc.ts';

/** A product id no tenant has: the server rejects it, which shows the optimistic rollback. */
const MISSING_PRODUCT_ID = 999_999_999;

type CreateInput = Inputs['orders']['create'];

/**
 * Places an order. The new row appears at once (optimistic, marked "saving…"); the server's
 * invalidation then replaces it with the real row, or the row is rolled back on error.
 */
export function OrderForm(): ReactNode {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const customers = useLiveQuery(trpc.catalog.customers.queryOptions({ limit: 100 }));
  const products = useLiveQuery(trpc.catalog.products.queryOptions());
  const [customerId, setCustomerId] = useState<number | null>(null);
  const [productId, setProductId] = useState<number | null>(null);
  const [quantity, setQuantity] = useState(1);
  const [status, setStatus] = useState<OrderStatus>('paid');
  const [failOnPurpose, setFailOnPurpose] = useState(false);

  const customer = customers.data?.find((c) => c.id === customerId) ?? customers.data?.[0];
  const product = products.data?.find((p) => p.id === productId) ?? products.data?.[0];

  const create = useMutation(
    trpc.orders.create.mutationOptions(
      optimisticUpdate<OrdersPage, CreateInput>(queryClient, trpc.orders.list.queryKey(), (page, input) =>
        prependPending(page, input, customers.data ?? [], products.data ?? []),
      ),
    ),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (customer === undefined || product === undefined) return;
    create.mutate({
      customerId: customer.id,
      items: [{ productId: failOnPurpose ? MISSING_PRODUCT_ID : product.id, quantity }],
      status,
    });
  };

  const total = product === undefined ? 0 : product.price_cents * quantity;
  return (
    <section className="card" data-testid="order-form">
      <header className="card-header">
        <h2>New order</h2>
      </header>
      <form className="form" onSubmit={submit}>
        <label>
          Customer
          <select
            data-testid="order-customer"
            value={customer?.id ?? ''}
            onChange={(e) => setCustomerId(Number(e.target.value))}
          >
            {(customers.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} · {c.country}
              </option>
            ))}
          </select>
        </label>
        <label>
          Product
          <select
            data-testid="order-product"
            value={product?.id ?? ''}
            onChange={(e) => setProductId(Number(e.target.value))}
          >
            {(products.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} · {formatCents(p.price_cents)}
              </option>
            ))}
          </select>
        </label>
        <div className="form-row">
          <label>
            Quantity
            <input
              type="number"
              min={1}
              max={1000}
              data-testid="order-quantity"
              value={quantity}
              onChange={(e) => setQuantity(Math.max(1, Math.min(1000, Number(e.target.value) || 1)))}
            />
          </label>
          <label>
            Status
            <select
              data-testid="order-status"
              value={status}
              onChange={(e) => setStatus(e.target.value as OrderStatus)}
            >
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label className="checkbox">
          <input
            type="checkbox"
            data-testid="order-fail"
            checked={failOnPurpose}
            onChange={(e) => setFailOnPurpose(e.target.checked)}
          />
          Fail on purpose (shows the optimistic rollback)
        </label>
        <button
          type="submit"
          className="primary"
          data-testid="order-submit"
          disabled={customer === undefined || product === undefined}
        >
          Place order · {formatCents(total)}
        </button>
        <FormResult create={create} />
      </form>
    </section>
  );
}

function FormResult(props: {
  create: { status: string; data?: { id: number } | undefined; error: { message: string } | null };
}): ReactNode {
  const { create } = props;
  if (create.status === 'pending') return <p className="form-note muted">Saving…</p>;
  if (create.status === 'error') {
    return (
      <p className="form-note error" data-testid="order-error" role="alert">
        Rolled back: {create.error?.message}
      </p>
    );
  }
  if (create.status === 'success' && create.data !== undefined) {
    return (
      <p className="form-note success" data-testid="last-created-order" data-order-id={create.data.id}>
        Order #{create.data.id} placed
      </p>
    );
  }
  return null;
}

/** The optimistic row: a negative id marks it as not yet confirmed by the server. */
function prependPending(
  page: OrdersPage,
  input: CreateInput,
  customers: readonly Customer[],
  products: readonly Product[],
): OrdersPage {
  if (page.page !== 0) return page;
  const total = input.items.reduce(
    (sum, item) => sum + (products.find((p) => p.id === item.productId)?.price_cents ?? 0) * item.quantity,
    0,
  );
  const row = {
    id: -Date.now(),
    customer_id: input.customerId,
    customer_name: customers.find((c) => c.id === input.customerId)?.name ?? '…',
    status: input.status ?? 'pending',
    total_cents: total,
    created_at: Date.now(),
  };
  return { ...page, rows: [row, ...page.rows].slice(0, page.pageSize), total: page.total + 1 };
}
