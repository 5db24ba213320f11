/** Test fixtures for apps built on liveframe: an in-process server on port 0, disposable. */
export {
  configFor,
  resolvePaths,
  type StartServerOptions,
  startServer,
  TEST_AUTH_SECRET,
} from './start-server.ts';
