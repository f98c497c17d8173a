// The SDK's originate waits as long as the agent does (one rule, @fsbus/contract's
// originateWaitMs): the timeout_ms it sends covers leg_timeout, retries and their sleeps.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { encodeReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { connect, type FsbusClient } from '../src/index.js';

void describe('originate: the timeout_ms the SDK sends', () => {
  let nats: NatsServerHandle;
  let lane: Driver;
  let bus: FsbusClient;
  const bodies: Array<Record<string, unknown>> = [];
  before(async () => {
    nats = await startNatsServer();
    lane = await createDriver('nats', { urls: [nats.url], name: 'stand-in agent' });
    await lane.connect();
    lane.serve({ subject: 'wait.api', competing: true }, (req) => {
      const body = JSON.parse(new TextDecoder().decode(req.data)) as Record<string, unknown>;
      bodies.push(body);
      return encodeReply(successReply({ nodeId: 'stand-in', message: 'ok', data: { uuid: body['uuid'], job_uuid: 'j', result: '+OK' } }));
    });
    await lane.flush();
    bus = await connect({ servers: nats.url, prefix: 'wait' });
  });
  after(async () => {
    await bus.close();
    await lane.close();
    await nats.stop();
  });

  const cases: Array<[string, Parameters<FsbusClient['originate']>[0], number]> = [
    ['ring timeout only', { endpoint: 'user/1000', extension: '&park()', ringTimeoutS: 40 }, 45_000],
    // 3 attempts × max(20, 90) s + 2 × 2 s of sleep + 5 s.
    ['leg_timeout and retries', { endpoint: 'user/1000', extension: '&park()', ringTimeoutS: 20, variables: { leg_timeout: 90, originate_retries: 3, originate_retry_sleep_ms: 2000 } }, 279_000],
    // 2 failover groups × 60 s (FreeSWITCH's default) + 5 s.
    ['failover groups', { endpoint: 'user/1000|user/1001', extension: '&park()' }, 125_000],
  ];
  for (const [name, options, expected] of cases) {
    void it(name, async () => {
      await bus.originate(options);
      assert.equal(bodies.at(-1)?.['timeout_ms'], expected);
    });
  }
});
