import type { AppRouter } from '@liveframe/demo-server';
import { createLiveClient, LiveProvider } from '@liveframe/react';
import { notifyManager } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import './styles.css';

// react-query hands new data to components in a zero-delay timeout by default, which under load
// waits behind whatever tasks are queued (other socket messages, rendering): 5-6 ms p50 from the
// refetched data to the row in the DOM in the browser bench, 1.6-2.3 ms with a microtask. Updates
// that land in one task still render together (React batches them).
notifyManager.setScheduler(queueMicrotask);

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
