// refused-arguments.test.ts's "over the broker's max payload" over Kafka, whose driver learns the
// broker's message.max.bytes (64 KiB here): a request, a gather or a fire-and-forget send larger
// than the broker takes is FSBUS_ERR_CLIENT_INVALID_ARGUMENT at once, nothing is sent, and the
// connection is fine — not a timeout after the broker refused it unseen. The "agents" are bare
// lanes on the same broker.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { encodeReply, successReply } from '@fsbus/contract';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, type Driver, type ServeRequest } from '@fsbus/transport';
import { ClientErrorCode, connect, type FsbusClient } from '../src/index.js';

const LIMIT = 64 * 1024;
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const ok = (data: unknown): Uint8Array => encodeReply(successReply({ nodeId: 'lane', message: 'ok', data }));
const invalid = (message: RegExp) => ({ code: ClientErrorCode.INVALID_ARGUMENT, message });

void describe('@fsbus/client over kafka: a message over the broker\'s limit is refused before anything is sent', { timeout: 240_000 }, () => {
  let kafka: KafkaHandle;
  let lanes: Driver;
  let bus: FsbusClient;
  const arrived: string[] = [];
  const statuses: string[] = [];

  before(async () => {
    kafka = await startKafka({ messageMaxBytes: LIMIT });
    lanes = await createDriver('kafka', { urls: [kafka.url], name: 'lanes' });
    await lanes.connect();
    const answer = (req: ServeRequest): Uint8Array => {
      arrived.push(`${req.subject} ${String((JSON.parse(dec(req.data)) as { command?: unknown }).command)}`);
      return ok('done');
    };
    lanes.serve({ subject: 'freeswitch.api', competing: true }, answer);
    lanes.serve({ subject: 'freeswitch.broadcast', competing: false }, answer);
    await lanes.flush();
    // A long timeout: had a request been sent, the broker's refusal would show only as it running out.
    bus = await connect({ servers: kafka.url, timeoutMs: 60_000 });
    bus.driver.on((e) => {
      if (e.type === 'status') statuses.push(e.status);
    });
  }, { timeout: 120_000 });
  after(async () => {
    await bus.close();
    await lanes.close();
    await kafka.stop();
  });

  void it("a request, a gather or an async originate over message.max.bytes is INVALID_ARGUMENT; the connection stays up", async () => {
    const big = 'a'.repeat(LIMIT);
    await assert.rejects(
      bus.request('status', { args: big }),
      invalid(/^status request: request to freeswitch\.api: the message is \d+ bytes with its headers and framing, over the broker's message\.max\.bytes of 65536 bytes$/),
    );
    await assert.rejects(bus.gather('status', { args: big }), invalid(/^status gather: gather on freeswitch\.broadcast: the message is \d+ bytes .*over the broker's message\.max\.bytes/));
    await assert.rejects(bus.originate({ endpoint: 'user/1000', extension: '&park()', variables: { big }, async: true }), invalid(/^originate: the message is \d+ bytes, over the broker's limit of 64512$/));
    assert.equal(bus.driver.maxPayloadBytes, LIMIT - 1024, 'what the broker takes, less room for the key, headers and framing');
    assert.equal(await bus.api('after'), 'done');
    assert.deepEqual(arrived, ['freeswitch.api after']);
    assert.equal(bus.driver.stats().dropped, 0);
    assert.equal(bus.driver.status, 'connected');
    assert.deepEqual(statuses, [], 'the connection never dropped');
  });
});
