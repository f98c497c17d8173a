/**
 * `sched_hangup [+]<time> <uuid> [<cause>]` and `sched_del <task_id>|<group>` as mod_commands
 * runs them in FreeSWITCH 1.10.12. A hangup is a scheduler task whose group is the channel's uuid,
 * so `sched_del <uuid>` cancels it. The scheduler's ADD_SCHEDULE / DEL_SCHEDULE / EXE_SCHEDULE
 * events are not simulated, and the sched_hangup application schedules apart (sched_del does not
 * see its tasks).
 */
import type { ApiHandler } from './api.js';
import type { Engine } from './engine.js';
import type { TimerHandle } from './clock.js';
import type { CallSite } from './constants.js';
import { normaliseCause } from './constants.js';
import { switchSeparateString } from './separate-string.js';

const NOW_SITE: CallSite = { file: 'mod_commands.c', func: 'sched_hangup_function', line: 3662 };
const TASK_SITE: CallSite = { file: 'switch_ivr_async.c', func: 'sch_hangup_callback', line: 5526 };

interface Task {
  readonly group: string;
  readonly timer: TimerHandle;
}

interface Scheduler {
  nextId: number;
  readonly tasks: Map<number, Task>;
}

const schedulers = new WeakMap<Engine, Scheduler>();

function scheduler(engine: Engine): Scheduler {
  let s = schedulers.get(engine);
  if (s === undefined) {
    // Task 1 is the core's heartbeat (RE_SCHEDULE's Task-ID).
    s = { nextId: 2, tasks: new Map() };
    schedulers.set(engine, s);
  }
  return s;
}

/** C's atol. */
function atol(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number.parseInt(m[1]!, 10);
}

/**
 * `+N` is N seconds from now, a bare number an epoch time (one in the past, as
 * switch_scheduler_add_task reads it, that many seconds from now). The time is read as
 * sched_hangup_function does: a `0` after its first character (`+0`, but also `0` or `30`) hangs
 * up at once. The task runs once its second has come, on whatever channel has the uuid then.
 */
const schedHangup: ApiHandler = (host, args) => {
  const argv = args === '' ? [] : switchSeparateString(args, ' ', 4);
  const [when = '', uuid, causeText] = argv;
  if (when === '') return '-USAGE: [+]<time> <uuid> [<cause>]\n';
  const e = host.engine;
  const ch = e.locate(uuid);
  if (ch === undefined) return '-ERR No such channel!\n';
  const cause = causeText === undefined ? 'ALLOTTED_TIMEOUT' : (normaliseCause(causeText) ?? 'NONE');
  const sec = atol(when.slice(1));
  if (sec === 0) {
    e.hangup(ch, cause, NOW_SITE);
    return '+OK\n';
  }
  const clock = e.bus.clock;
  const nowSeconds = Math.floor(clock.nowMicros() / 1_000_000);
  let runtime = when.startsWith('+') ? nowSeconds + sec : atol(when);
  if (runtime < nowSeconds) runtime += nowSeconds;
  const s = scheduler(e);
  const id = s.nextId++;
  const group = ch.uuid;
  const timer = clock.setTimeout(() => e.defer(() => {
    s.tasks.delete(id);
    const target = e.locate(group);
    if (target !== undefined) e.hangup(target, cause, TASK_SITE);
  }), Math.max(0, runtime * 1000 - clock.nowMicros() / 1000));
  s.tasks.set(id, { group, timer });
  return '+OK\n';
};

/** A number deletes that task, anything else every task of that group: `+OK Deleted: <count>`. */
const schedDel: ApiHandler = (host, args) => {
  if (args === '') return '-ERR Invalid syntax\n';
  const s = scheduler(host.engine);
  const clock = host.engine.bus.clock;
  const byId = /^\d+$/.test(args);
  let count = 0;
  for (const [id, task] of s.tasks) {
    if (byId ? id !== (Number.parseInt(args, 10) | 0) : task.group !== args) continue;
    clock.clearTimeout(task.timer);
    s.tasks.delete(id);
    count++;
  }
  return `+OK Deleted: ${count}\n`;
};

export const SCHED_APIS: ReadonlyMap<string, ApiHandler> = new Map<string, ApiHandler>([
  ['sched_hangup', schedHangup],
  ['sched_del', schedDel],
]);
