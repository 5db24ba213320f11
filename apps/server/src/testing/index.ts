/** Test fixtures for apps and e2e tests: in-process and child-process servers on port 0. */
export {
  type ServerProcess,
  type StartServerOptions,
  startServer,
  startServerProcess,
  TEST_AUTH_SECRET,
} from './start-server.ts';
