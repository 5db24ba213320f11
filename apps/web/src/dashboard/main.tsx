import type { AppRouter } from '@liveframe/server';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLiveClient, LiveProvider } from '../client/index.ts';
import { App } from './app.tsx';
import './styles.css';

// The server that served this page, unless `?server=http://host:port` says otherwise (vite dev).
const serverParam = new URLSearchParams(location.search).get('server');
const live = createLiveClient<AppRouter>(serverParam === null ? {} : { url: serverParam });

// Exposed for the browser benchmarks and debugging: the invalidation totals and the registry.
Object.assign(window, { __liveframe: live });

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <LiveProvider client={live}>
      <App />
    </LiveProvider>
  </StrictMode>,
);
