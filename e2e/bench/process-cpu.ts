import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system, ms) of every running process, by pid, with its parent and command line. */
function processTable(): Map<number, { parent: number; cpuMs: number; command: string }> {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  const table = new Map<number, { parent: number; cpuMs: number; command: string }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised name: state ppid ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuMs = (Number(fields[11]) + Number(fields[12])) / ticksPerMs;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      table.set(pid, { parent: Number(fields[1]), cpuMs, command });
    } catch {
      // The process ended while we looked.
    }
  }
  return table;
}

/**
 * CPU milliseconds used so far by this process's Chromium descendants (browser, renderers, GPU
 * process), summed: what the page costs the machine, which on 2 cores is taken from the servers.
 * Linux only (reads /proc); processes that already exited are not counted.
 *
 * @example const before = chromiumCpuMs(); ...; const perWrite = (chromiumCpuMs() - before) / writes;
 */
export function chromiumCpuMs(): number {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, { parent }] of table) children.set(parent, [...(children.get(parent) ?? []), pid]);
  let total = 0;
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      const entry = table.get(child);
      if (entry !== undefined && /chrom/.test(entry.command.split(' ')[0] ?? '')) total += entry.cpuMs;
      visit(child);
    }
  };
  visit(process.pid);
  return total;
}
