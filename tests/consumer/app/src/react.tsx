// Typechecked only (never run): @liveframe/react's public API against the app's router type.
import {
  createLiveClient,
  LiveProvider,
  useConnectionState,
  useLiveClient,
  useLiveQuery,
  useSuspenseLiveQuery,
} from '@liveframe/react';
import type { ReactNode } from 'react';
import type { AppRouter } from './router.js';

export const live = createLiveClient<AppRouter>({ url: 'http://127.0.0.1:3000' });

function Todos(): ReactNode {
  const { trpc } = useLiveClient<AppRouter>();
  const state = useConnectionState();
  const todos = useLiveQuery(trpc.todos.list.queryOptions());
  const first: string | undefined = todos.data?.[0]?.title;
  return (
    <section>
      <p>{state}</p>
      <p>{first ?? 'none yet'}</p>
    </section>
  );
}

function TodoCount(): ReactNode {
  const { trpc } = useLiveClient<AppRouter>();
  const { data } = useSuspenseLiveQuery(trpc.todos.list.queryOptions());
  const count: number = data.length;
  return <span>{count}</span>;
}

export function App(): ReactNode {
  return (
    <LiveProvider client={live}>
      <Todos />
      <TodoCount />
    </LiveProvider>
  );
}
