import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * A V8 CPU profile of one window of a bench process (`start` → `stop`), written to
 * `<dir>/<pid>-<n>.cpuprofile`; without a directory both are no-ops. `--cpu-prof` profiles the
 * whole life of the process, where connecting a thousand viewers outweighs the measured writes.
 */
export function windowProfiler(dir: string | undefined): { start(): Promise<void>; stop(): Promise<void> } {
  let session: Session | undefined;
  let count = 0;
  return {
    async start() {
      if (dir === undefined || session !== undefined) return;
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    async stop() {
      if (session === undefined) return;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(dir!, `${process.pid}-${++count}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
      session = undefined;
    },
  };
}
