// A lane's records run in the order of their partition while one of them waits for its reply
// topic to be asked of the broker (kafka-serve.ts, kafka-partition-order.ts): a request whose
// reply topic is known already must not overtake one sent before it, and the copy of a request
// is still recognised. No broker: the check is a promise the test settles.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { PartitionOrder } from '../src/drivers/kafka/kafka-partition-order.js';
import { RecentRequests, serveRequest, type ServeContext } from '../src/drivers/kafka/kafka-serve.js';
import { KafkaHeader } from '../src/drivers/kafka/kafka-topics.js';
import type { KafkaMessage } from '../src/drivers/kafka/kafka-wire.js';

function record(partition: number, offset: number, replyTo: string, correlationId: string, body: string): { m: KafkaMessage; headers: Record<string, string> } {
  const headers = { [KafkaHeader.SUBJECT]: 'freeswitch.api', [KafkaHeader.REPLY_TO]: replyTo, [KafkaHeader.CORRELATION_ID]: correlationId, [KafkaHeader.EXPIRES]: String(Date.now() + 60_000) };
  const m = { topic: 'freeswitch.api', partition, offset: BigInt(offset), key: Buffer.alloc(0), value: Buffer.from(body), headers: new Map() } as unknown as KafkaMessage;
  return { m, headers };
}

/** A context whose reply topic checks wait until the test answers them, in the order asked. */
function checkingContext(known: Set<string>): { ctx: ServeContext; answer: (exists: boolean) => void; absent: string[] } {
  const pending: Array<(exists: boolean) => void> = [];
  const absent: string[] = [];
  const fail = () => assert.fail('not expected here');
  const ctx: ServeContext = {
    lane: 'freeswitch.api',
    enqueue: () => 'sent',
    topicFor: (s) => s,
    served: () => Promise.resolve(true),
    expired: fail,
    unanswerable: fail,
    knownReplyTopic: (t) => known.has(t),
    replyTopicExists: () => new Promise((resolve) => pending.push(resolve)),
    absentReplyTopic: (_topic, replyTo) => void absent.push(replyTo),
    closed: () => false,
    foreign: fail,
    refusedExpires: fail,
    ran: new RecentRequests(),
    running: () => undefined,
    logger: undefined,
  };
  return { ctx, answer: (exists) => pending.shift()!(exists), absent };
}

void test('kafka: a record whose reply topic is being checked holds the records of its partition behind it, not those of another; a copy still runs once', async () => {
  const { ctx, answer, absent } = checkingContext(new Set(['fsbus.inbox.known']));
  const order = new PartitionOrder(undefined);
  const ran: string[] = [];
  const handler = (req: { data: Uint8Array }) => {
    ran.push(Buffer.from(req.data).toString());
    return undefined;
  };
  const deliver = ({ m, headers }: ReturnType<typeof record>): void => void order.run(m.partition, () => serveRequest(m, headers, handler, ctx));
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  deliver(record(0, 0, 'fsbus.inbox.new', 'a', 'first'));
  deliver(record(0, 1, 'fsbus.inbox.known', 'b', 'second'));
  deliver(record(1, 0, 'fsbus.inbox.known', 'c', 'other-partition'));
  // The same request again (its producer sent it twice), then one to a topic nobody created.
  deliver(record(0, 2, 'fsbus.inbox.new', 'a', 'first-copy'));
  deliver(record(0, 3, 'fsbus.inbox.never', 'd', 'nowhere'));
  assert.deepEqual(ran, ['other-partition'], 'partition 0 waits for its first record');

  answer(true);
  await settled();
  // The copy asks again (the check is the cache's business): answered, it is recognised and skipped.
  answer(true);
  await settled();
  answer(false);
  await settled();
  assert.deepEqual(ran, ['other-partition', 'first', 'second']);
  assert.deepEqual(absent, ['fsbus.inbox.never']);
});
