/**
 * The agent process's own CPU and memory on /metrics, under the names prom-client's default
 * collector uses, so existing Node dashboards read them. Not that collector itself: it also starts
 * an event-loop monitor and a GC observer that can never be stopped, and several agents may live
 * in one process (tests). These are read at scrape time and cost nothing in between.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  let cpuSeen = 0;
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent, in seconds',
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      const now = (user + system) / 1e6;
      if (now > cpuSeen) this.inc(now - cpuSeen);
      cpuSeen = now;
    },
  });
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, in seconds', registers }).set(startSeconds);
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size, in bytes',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  const heap = [
    ['nodejs_heap_size_total_bytes', 'V8 heap size, in bytes', 'heapTotal'],
    ['nodejs_heap_size_used_bytes', 'V8 heap used, in bytes', 'heapUsed'],
    ['nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects (buffers), in bytes', 'external'],
  ] as const;
  for (const [name, help, field] of heap) {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(process.memoryUsage()[field]);
      },
    });
  }
}
