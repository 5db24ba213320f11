import { defineConfig } from 'drizzle-kit';

// npm run drizzle:generate -w @liveframe/examples (runs drizzle-kit generate in this folder)
export default defineConfig({ dialect: 'sqlite', schema: './schema.ts', out: './drizzle' });
