// Redis: LEAVE_SCRIPT reads what was written to a lane since its last read a batch per call (a
// script holds Redis while it runs: a backlog read whole would block every other client for its
// length), and leaving serves every batch until nothing is left — none lost.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { LEAVE_SCRIPT } from '../src/drivers/redis/redis-scripts.js';
import { LEAVE_BATCH, leaveLane, type LaneLeave, type LeaveCommand } from '../src/drivers/redis/redis-lane-leave.js';

const BACKLOG = LEAVE_BATCH * 2 + 50;

/** A lane stream with its group (and this server's consumer), its serving mark, and BACKLOG entries unread. */
async function laneWithBacklog(redis: Redis, remove: LaneLeave['remove']): Promise<LaneLeave> {
  const lane: LaneLeave = { key: 'lb:lane:lb.api', servingKey: 'lb:serving:lb.api', group: 'g', consumer: 'me', remove, member: 'me' };
  await redis.call('XGROUP', 'CREATE', lane.key, lane.group, '$', 'MKSTREAM');
  await redis.call('XGROUP', 'CREATECONSUMER', lane.key, lane.group, lane.consumer);
  await redis.zadd(lane.servingKey, String(Date.now() + 60_000), lane.member);
  const batch = redis.pipeline();
  for (let i = 0; i < BACKLOG; i++) batch.xadd(lane.key, '*', 'n', String(i));
  await batch.exec();
  return lane;
}

for (const remove of ['consumer', 'group'] as const) {
  void test(`redis: one LEAVE_SCRIPT call reads at most a batch of a lane's backlog (${remove === 'consumer' ? 'competing' : 'fan-out'} lane)`, async () => {
    const broker = await startRedis();
    const redis = new Redis(broker.url) as Redis & LeaveCommand;
    try {
      redis.defineCommand('fsbusLeave', { numberOfKeys: 2, lua: LEAVE_SCRIPT });
      const lane = await laneWithBacklog(redis, remove);
      const [status, entries] = await redis.fsbusLeaveBuffer(lane.key, lane.servingKey, lane.group, lane.consumer, lane.remove, lane.member, String(LEAVE_BATCH), '0');
      assert.ok((entries ?? []).length <= LEAVE_BATCH, `one call read ${(entries ?? []).length} of ${BACKLOG} entries (status ${status}), more than a batch of ${LEAVE_BATCH}`);
    } finally {
      redis.disconnect();
      await broker.stop();
    }
  });

  void test(`redis: leaving a ${remove === 'consumer' ? 'competing' : 'fan-out'} lane with a backlog of several batches serves every entry once, in order, then the lane goes`, async () => {
    const broker = await startRedis();
    const redis = new Redis(broker.url) as Redis & LeaveCommand;
    try {
      redis.defineCommand('fsbusLeave', { numberOfKeys: 2, lua: LEAVE_SCRIPT });
      const lane = await laneWithBacklog(redis, remove);
      const served: string[] = [];
      await leaveLane(redis, lane, (flat) => served.push(flat[1]!.toString('utf8')));
      assert.deepEqual(served, Array.from({ length: BACKLOG }, (_, i) => String(i)), 'every entry of the backlog served once, in order');
      assert.equal(await redis.exists(lane.key, lane.servingKey), 0, 'nobody left on the lane: its stream and marks are gone');
    } finally {
      redis.disconnect();
      await broker.stop();
    }
  });
}
