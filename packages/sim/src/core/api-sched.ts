/**
 * FreeSWITCH's scheduler as far as hangups go (switch_ivr_schedule_hangup, whose group is the
 * channel's uuid), shared by the `sched_hangup` API and application, and the APIs
 * `sched_hangup [+]<time> <uuid> [<cause>]` and `sched_del <task_id>|<group>` as mod_commands runs
 * them in FreeSWITCH 1.10.12: `sched_del <uuid>` cancels what either scheduled. A task stays until
 * its time, as in FreeSWITCH, even once its channel is gone; SimCore.stop() empties the scheduler.
 * The scheduler's ADD_SCHEDULE / DEL_SCHEDULE / EXE_SCHEDULE events are not simulated.
 */
import type { ApiHandler } from './api.js';
import type { Engine } from './engine.js';
import { bridgePartner } from './channel.js';
import type { SimClock, TimerHandle } from './clock.js';
import { LOG_WARNING, normaliseCause, site } from './constants.js';
import { switchSeparateString } from './separate-string.js';
import { atol } from './c-num.js';

const NOW_SITE = site('mod_commands.c', 'sched_hangup_function', 3662);
const TASK_SITE = site('switch_ivr_async.c', 'sch_hangup_callback', 5526);
const TASK_BLEG_SITE = site('switch_ivr_async.c', 'sch_hangup_callback', 5520);
const NO_PARTNER_SITE = site('switch_ivr_async.c', 'sch_hangup_callback', 5523);

interface Task {
  readonly group: string;
  readonly timer: TimerHandle;
}

/**
 * The `[+]<time>` of both sched_hangups: `sec` is atol of what follows its first character (0
 * hangs up at once: `+0`, but also `0` or `30`); `runtime` is the epoch second to run at — `+N`
 * from now, else the number itself, and one in the past as many seconds from now (as
 * switch_scheduler_add_task reads it).
 */
export function hangupTime(when: string, nowSeconds: number): { sec: number; runtime: number } {
  const sec = atol(when.slice(1));
  const runtime = when.startsWith('+') ? nowSeconds + sec : atol(when);
  return { sec, runtime: runtime < nowSeconds ? runtime + nowSeconds : runtime };
}

export class HangupScheduler {
  /** Task 1 is the core's heartbeat (RE_SCHEDULE's Task-ID). */
  private nextId = 2;
  private readonly tasks = new Map<number, Task>();

  constructor(
    private readonly engine: Engine,
    private readonly clock: SimClock,
  ) {}

  nowSeconds(): number {
    return Math.floor(this.clock.nowMicros() / 1_000_000);
  }

  /**
   * switch_ivr_schedule_hangup: once `runtime` (epoch seconds) has come, sch_hangup_callback hangs
   * up whatever channel has the uuid then — or with `bleg` its bridge partner, if it has one.
   */
  add(runtime: number, uuid: string, cause: string, bleg: boolean): number {
    const e = this.engine;
    const id = this.nextId++;
    const timer = this.clock.setTimeout(() => e.defer(() => {
      this.tasks.delete(id);
      const ch = e.locate(uuid);
      if (ch === undefined) return;
      if (!bleg) return e.hangup(ch, cause, TASK_SITE);
      // switch_core_session_get_partner: a leg that is no longer bridged has none.
      const partner = bridgePartner(ch);
      if (partner !== undefined) e.hangup(partner, cause, TASK_BLEG_SITE);
      else e.log(ch, LOG_WARNING, NO_PARTNER_SITE, 'No channel to hangup');
    }), Math.max(0, runtime * 1000 - this.clock.nowMicros() / 1000));
    this.tasks.set(id, { group: uuid, timer });
    return id;
  }

  /** switch_scheduler_del_task_id / _group: a number is a task id, anything else a group. */
  delete(idOrGroup: string): number {
    const byId = /^\d+$/.test(idOrGroup);
    const id = byId ? Number.parseInt(idOrGroup, 10) | 0 : undefined;
    let count = 0;
    for (const [taskId, task] of this.tasks) {
      if (byId ? taskId !== id : task.group !== idOrGroup) continue;
      this.clock.clearTimeout(task.timer);
      this.tasks.delete(taskId);
      count++;
    }
    return count;
  }

  /** SimCore.stop(): the scheduler does not outlive the core. */
  clear(): void {
    for (const task of this.tasks.values()) this.clock.clearTimeout(task.timer);
    this.tasks.clear();
  }
}

const schedHangup: ApiHandler = (host, args) => {
  const argv = args === '' ? [] : switchSeparateString(args, ' ', 4);
  const [when = '', uuid, causeText] = argv;
  if (when === '') return '-USAGE: [+]<time> <uuid> [<cause>]\n';
  const e = host.engine;
  const ch = e.locate(uuid);
  if (ch === undefined) return '-ERR No such channel!\n';
  const cause = causeText === undefined ? 'ALLOTTED_TIMEOUT' : (normaliseCause(causeText) ?? 'NONE');
  const { sec, runtime } = hangupTime(when, host.scheduler.nowSeconds());
  if (sec === 0) e.hangup(ch, cause, NOW_SITE);
  else host.scheduler.add(runtime, ch.uuid, cause, false);
  return '+OK\n';
};

/** A number deletes that task, anything else every task of that group: `+OK Deleted: <count>`. */
const schedDel: ApiHandler = (host, args) => {
  if (args === '') return '-ERR Invalid syntax\n';
  return `+OK Deleted: ${host.scheduler.delete(args)}\n`;
};

export const SCHED_APIS: ReadonlyMap<string, ApiHandler> = new Map<string, ApiHandler>([
  ['sched_hangup', schedHangup],
  ['sched_del', schedDel],
]);
