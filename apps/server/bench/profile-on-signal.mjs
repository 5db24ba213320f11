// Loaded into the bench's server process (`--import`) when BENCH_VIEWERS_CPU_PROF names a file:
// the first SIGUSR2 starts V8's CPU profiler, the second writes the profile there. It profiles
// only the measured window (setup and warm-up would drown it), which --cpu-prof cannot do.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.BENCH_VIEWERS_CPU_PROF;
const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error === null && out) writeFileSync(out, JSON.stringify(result.profile));
    process.send?.('profiled');
    console.log(JSON.stringify({ liveframe: 'profiled' }));
  });
});
