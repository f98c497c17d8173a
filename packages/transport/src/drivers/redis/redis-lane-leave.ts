/**
 * Leaving a lane without losing a request. The reader reads without acknowledgement (NOACK): an
 * entry Redis handed to its blocking read belongs to nobody else, so the read is not cut short
 * (that lost it). The reader sends no new read, CLIENT UNBLOCK ends the one under way (its
 * entries, if any, still come and are served), then LEAVE_SCRIPT takes the serving mark away
 * and reads what was written since for this server to serve (redis-scripts.ts), a batch a call.
 */
import type { Redis } from 'ioredis';
import type { LaneStream } from './redis-streams.js';
import { untilClosed } from './redis-util.js';

/** Lane entries as XREADGROUP gives them: [id, field/value list or null]. */
export type LaneEntries = Array<[Buffer, Buffer[] | null]>;

/** LEAVE_SCRIPT's answer: status (3: a full batch, call again), the entries read, 1 if the mark was taken. */
export type LeaveAnswer = [number, LaneEntries | null | undefined, number?];

export interface LeaveCommand {
  fsbusLeaveBuffer(key: string, marks: string, ...args: string[]): Promise<LeaveAnswer>;
}

/** What LEAVE_SCRIPT reads in one call: a script holds Redis while it runs, so a backlog is read in parts. */
export const LEAVE_BATCH = 100;
const MORE_LEFT = 3;

export interface LaneLeave {
  key: string;
  servingKey: string;
  group: string;
  consumer: string;
  /** 'consumer' on a competing lane (its consumer goes), 'group' on a fan-out lane (its own group goes). */
  remove: 'consumer' | 'group';
  /** The serving mark to take away; '' while this server still reads the lane otherwise. */
  member: string;
}

/**
 * Runs LEAVE_SCRIPT until nothing is left to read, handing each batch to `onEntry` as it comes.
 * Ends quietly if `cmd` closes meanwhile: the group or consumer then stays, as after a crash.
 */
export async function leaveLane(cmd: Redis & LeaveCommand, lane: LaneLeave, onEntry: (flat: Buffer[]) => void): Promise<void> {
  let marked = '0';
  for (;;) {
    let answer: LeaveAnswer | undefined;
    const call = cmd.fsbusLeaveBuffer(lane.key, lane.servingKey, lane.group, lane.consumer, lane.remove, lane.member, String(LEAVE_BATCH), marked);
    await untilClosed(cmd, call.then((a) => (answer = a)));
    if (answer === undefined) return;
    const [status, entries, tookMark] = answer;
    for (const [, flat] of entries ?? []) if (flat !== null) onEntry(flat);
    if (status !== MORE_LEFT) return;
    marked = tookMark === 1 ? '1' : '0';
  }
}

/** CLIENT UNBLOCKs sent while the read under way has not ended; past them, its own timeout ends it. */
const UNBLOCK_TRIES = 3;

/**
 * Ends `lane`'s reading: resolves once `loop` (its readLane) ended, having handed over what its
 * last read got. A reader whose connection is away (or goes) is just stopped: a read answered over
 * a lost link is lost with it.
 */
export async function stopReading(cmd: Redis | undefined, lane: LaneStream, loop: Promise<void>): Promise<void> {
  lane.draining = true;
  let ended = false;
  const done = loop.then(() => {
    ended = true;
  });
  let onClose: (() => void) | undefined;
  const lost = new Promise<void>((resolve) => {
    onClose = resolve;
    lane.conn.once('close', resolve);
  });
  try {
    if (lane.conn.status === 'ready') {
      void unblock(cmd, lane, () => ended);
      await Promise.race([done, lost]);
    }
  } finally {
    if (onClose !== undefined) lane.conn.off('close', onClose);
    lane.stop.abort();
    lane.conn.disconnect();
  }
}

/** CLIENT UNBLOCK … TIMEOUT: the blocked read ends as if it timed out (no entries, none lost). */
async function unblock(cmd: Redis | undefined, lane: LaneStream, ended: () => boolean): Promise<void> {
  for (let i = 0; i < UNBLOCK_TRIES && !ended(); i++) {
    const id = lane.clientId;
    if (cmd?.status !== 'ready' || id === undefined || id === 0) return;
    // 1: ended. Refused (an ACL without CLIENT): the read's own timeout ends it. 0: not blocked —
    // its answer is on the way, or the read has not reached Redis yet: asked again.
    const n = await cmd.call('CLIENT', 'UNBLOCK', String(id), 'TIMEOUT').catch(() => 1);
    if (n === 1) return;
  }
}
