/** Test fixtures of the demo: in-process and child-process demo servers on port 0. */
export { TEST_AUTH_SECRET } from '@liveframe/server/testing';
export { type ServerProcess, startServerProcess } from './server-process.ts';
export { type DemoTestServerOptions, startServer } from './start-demo-server.ts';
