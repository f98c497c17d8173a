/**
 * Leaving a lane without losing a request. The reader reads without acknowledgement (NOACK): an
 * entry Redis handed to its blocking read belongs to nobody else, so the read is not cut short
 * (that lost it). The reader sends no new read, CLIENT UNBLOCK ends the one under way (its
 * entries, if any, still come and are served), then LEAVE_SCRIPT takes the serving mark away
 * and reads what was written since for this server to serve (redis-scripts.ts).
 */
import type { Redis } from 'ioredis';
import type { LaneStream } from './redis-streams.js';

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
