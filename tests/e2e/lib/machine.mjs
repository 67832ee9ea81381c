// Timing tests measure the lab, not a build running beside it on a 2-core machine.
import os from 'node:os';

/**
 * Waits (up to 5 minutes) until the machine is not busy with other work: the one-minute load average
 * at most the number of cores. Returns the load it measured under, for the printed numbers.
 */
export async function quietMachine() {
  const cores = os.cpus().length;
  const deadline = Date.now() + 300000;
  while (os.loadavg()[0] > cores && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5000));
  return os.loadavg()[0].toFixed(1);
}
