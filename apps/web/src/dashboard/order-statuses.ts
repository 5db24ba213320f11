import type { OrderStatus } from './api-types.ts';

/** The order statuses in workflow order (mirrors the server's `ORDER_STATUSES`, which is runtime code). */
export const STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'shipped', 'cancelled'];
