// What the agent says when it cannot reach its peers at start. FreeSWITCH not listening used to be
// "connection to host:port closed during the handshake: connect ECONNREFUSED host:port" (there
// was no handshake): it is "cannot connect to FreeSWITCH at host:port: connection refused". The
// fatal line of a failed start said each cause two or three times over (the agent's message
// quotes its cause's, and the log's error serializer appended every cause's message again).
// Real processes and nats-server; ports nothing listens on come from the test kit.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort, startNatsServer } from '@fsbus/testkit';
import { spawnAgent } from './support/agent-process.js';

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

void test("FreeSWITCH not listening at start: 'cannot connect to FreeSWITCH at host:port: connection refused'", async () => {
  const nats = await startNatsServer();
  const eslPort = await freePort();
  const agent = spawnAgent({ FSBUS_BROKER_URL: nats.url, FSBUS_NODE_ID: 'no-fs', FSBUS_ESL_PORT: String(eslPort), FSBUS_METRICS: 'false' });
  try {
    const line = await agent.line((l) => l['msg'] === 'FreeSWITCH not reachable, retrying', "'FreeSWITCH not reachable'");
    assert.equal(line['reason'], `cannot connect to FreeSWITCH at 127.0.0.1:${eslPort}: connection refused`);
  } finally {
    agent.kill();
    await agent.exited;
    await nats.stop();
  }
});

void test('a start that fails says each cause once', async () => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  const agent = spawnAgent({ FSBUS_BROKER_URL: url, FSBUS_NODE_ID: 'no-broker', FSBUS_ESL_PORT: '1', FSBUS_METRICS: 'false' });
  try {
    assert.equal((await agent.exited).code, 1);
    const fatal = agent.logs.find((l) => l['msg'] === 'agent could not start');
    assert.ok(fatal !== undefined, JSON.stringify(agent.logs));
    const message = String((fatal['err'] as { message: string }).message);
    assert.match(message, /^agent could not start: cannot connect to NATS \(nats:\/\/127\.0\.0\.1:\d+\): connection refused/);
    assert.equal(occurrences(message, 'cannot connect to NATS'), 1, message);
    assert.equal(occurrences(message, 'connection refused'), 1, message);
  } finally {
    agent.kill();
  }
});
