import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The getting-started todo table as a Drizzle schema. `drizzle-kit generate` turns changes of
 * this file into migrations in `./drizzle` (drizzle.config.ts), which the server applies at start.
 */
export const todos = sqliteTable('todos', {
  id: integer('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  title: text('title').notNull(),
  done: integer('done').notNull().default(0),
});

export const schema = { todos };
