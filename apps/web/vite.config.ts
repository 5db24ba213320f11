import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard is a static bundle (`dist/`) that the liveframe server serves next to its tRPC
 * endpoints, so the page talks to the server that served it (same origin, no CORS). During
 * `vite dev`, `LIVEFRAME_SERVER` points the dev proxy at a running server.
 */
const server = process.env.LIVEFRAME_SERVER ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      '/trpc': { target: server, ws: true, changeOrigin: true },
    },
  },
});
