import { useLiveQuery } from '@liveframe/react';
import { keepPreviousData } from '@tanstack/react-query';
import { type ReactNode, useDeferredValue, useState } from 'react';
import type { OrderStatus, OrdersFilter } from '../api-types.ts';
import { formatCents, formatInteger, formatTime } from '../format.ts';
import { STATUSES } from '../order-statuses.ts';
import { useTRPC } from '../use-trpc.ts';

const PAGE_SIZE = 10;
type Sort = NonNullable<OrdersFilter['sort']>;

/**
 * The live orders table: filter by status and customer, sort, paginate. Each page is its own
 * live query, so a change refetches only the pages on screen that it can affect.
 */
export function OrdersTable(): ReactNode {
  const trpc = useTRPC();
  const [status, setStatus] = useState<OrderStatus | 'all'>('all');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<Sort>('newest');
  const [page, setPage] = useState(0);
  const deferredSearch = useDeferredValue(search.trim());
  const filter: OrdersFilter = {
    sort,
    page,
    pageSize: PAGE_SIZE,
    ...(status === 'all' ? {} : { status }),
    ...(deferredSearch === '' ? {} : { search: deferredSearch }),
  };
  const orders = useLiveQuery({
    ...trpc.orders.list.queryOptions(filter),
    placeholderData: keepPreviousData,
  });
  const total = orders.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const resetPage = () => setPage(0);

  return (
    <section className="card table-card" data-testid="orders-table">
      <header className="card-header">
        <div>
          <h2>Orders</h2>
          <p className="muted" data-testid="orders-total">
            {formatInteger(total)} {total === 1 ? 'order' : 'orders'}
          </p>
        </div>
        <div className="filters">
          <input
            type="search"
            placeholder="Search customer…"
            aria-label="Search customer"
            data-testid="orders-search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              resetPage();
            }}
          />
          <select
            aria-label="Status"
            data-testid="orders-status-filter"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as OrderStatus | 'all');
              resetPage();
            }}
          >
            <option value="all">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s[0]?.toUpperCase()}
                {s.slice(1)}
              </option>
            ))}
          </select>
          <select
            aria-label="Sort"
            data-testid="orders-sort"
            value={sort}
            onChange={(e) => {
              setSort(e.target.value as Sort);
              resetPage();
            }}
          >
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
            <option value="total_desc">Highest total</option>
            <option value="total_asc">Lowest total</option>
          </select>
        </div>
      </header>
      <div className={`table-wrap${orders.isPlaceholderData ? ' is-stale' : ''}`}>
        <table>
          <thead>
            <tr>
              <th>Order</th>
              <th>Customer</th>
              <th>Status</th>
              <th className="num">Total</th>
              <th className="num">Created</th>
            </tr>
          </thead>
          <tbody>
            {(orders.data?.rows ?? []).map((row) => {
              const pending = row.id < 0;
              return (
                <tr
                  key={row.id}
                  data-testid={pending ? 'order-row-pending' : `order-row-${row.id}`}
                  data-order-id={row.id}
                  data-pending={pending}
                  className={pending ? 'row-pending' : 'row-live'}
                >
                  <td className="mono">{pending ? 'saving…' : `#${row.id}`}</td>
                  <td>{row.customer_name}</td>
                  <td>
                    <span className={`status status-${row.status}`}>{row.status}</span>
                  </td>
                  <td className="num mono">{formatCents(row.total_cents)}</td>
                  <td className="num muted">{formatTime(row.created_at)}</td>
                </tr>
              );
            })}
            {orders.data !== undefined && orders.data.rows.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No orders match.
                </td>
              </tr>
            ) : null}
            {orders.data === undefined
              ? Array.from({ length: 5 }, (_, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: static skeleton rows
                  <tr key={i} className="skeleton-row">
                    <td colSpan={5}>&nbsp;</td>
                  </tr>
                ))
              : null}
          </tbody>
        </table>
      </div>
      <footer className="pagination">
        <span className="muted" data-testid="orders-page">
          Page {page + 1} of {pages}
        </span>
        <div>
          <button
            type="button"
            data-testid="orders-prev"
            disabled={page === 0}
            onClick={() => setPage((p) => p - 1)}
          >
            ← Previous
          </button>
          <button
            type="button"
            data-testid="orders-next"
            disabled={page + 1 >= pages}
            onClick={() => setPage((p) => p + 1)}
          >
            Next →
          </button>
        </div>
      </footer>
    </section>
  );
}
