// A requester deletes its reply topic when it closes; Kafka then drops every empty consumer group
// without committed offsets. The lane group of a node that had stopped went with it, and its lane
// (a topic without groups) read as served again: a request to that node waited out its timeout.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin } from '@platformatic/kafka';
import { startKafka } from '@fsbus/testkit';
import { TransportErrorCode, type Driver } from '@fsbus/transport';
import { dec, enc, openDriver } from './conformance/helpers.js';

/** What a request ends with: the reply's text, or the error's code. */
function outcome(d: Driver, subject: string, timeoutMs: number): Promise<string> {
  return d.request(subject, enc('{}'), { timeoutMs }).then(
    (m) => dec(m.data),
    (err: Error & { code?: string }) => err.code ?? err.message,
  );
}

/** Polls until `check` holds (the broker's group bookkeeping is asynchronous). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`never: ${what}`);
}

void test("kafka: a stopped node's lane still gets NO_RESPONDERS after another requester closed and deleted its reply topic; a request nobody serves opens no reply topic", async () => {
  const broker = await startKafka();
  const drivers: Driver[] = [];
  const open = (name: string) => openDriver(drivers, 'kafka', { urls: [broker.url], name });
  const admin = new Admin({ clientId: 'probe', bootstrapBrokers: [broker.url.replace(/^kafka:\/\//, '')] });
  const groups = async () => admin.listGroups();
  try {
    const nodeA = await open('node-a');
    const nodeB = await open('node-b');
    nodeA.serve({ subject: 'rt.node.a', competing: false }, () => enc('a'));
    nodeB.serve({ subject: 'rt.node.b', competing: false }, () => enc('b'));
    await nodeA.flush();
    await nodeB.flush();

    const client = await open('client');
    assert.equal(await outcome(client, 'rt.node.a', 30_000), 'a');
    await nodeA.close();
    const laneA = (g: Map<string, { id: string; state: string }>) => [...g.values()].find((x) => x.id.endsWith('.rt.node.a'));
    await until("node A's lane group empty", async () => laneA(await groups())?.state === 'Empty');

    // Another requester (a CLI run) asks node B and closes: its reply topic is deleted.
    const cli = await open('cli');
    assert.equal(await outcome(cli, 'rt.node.b', 30_000), 'b');
    const cliInbox = [...(await groups()).keys()].find((id) => id.startsWith('fsbus.inbox.cli-'));
    assert.ok(cliInbox !== undefined, "the CLI's reply group is listed");
    await cli.close();
    // The deletion's group clean-up has run once the CLI's own (empty, uncommitted) reply group is gone.
    await until("the CLI's reply group dropped", async () => !(await groups()).has(cliInbox));

    const asker = await open('asker');
    assert.equal(await outcome(asker, 'rt.node.a', 10_000), TransportErrorCode.NO_RESPONDERS);
    assert.equal(await outcome(asker, 'rt.node.never', 10_000), TransportErrorCode.NO_RESPONDERS);
    const topics = await admin.listTopics({ includeInternals: false });
    assert.deepEqual(
      topics.filter((t) => t.startsWith('fsbus.inbox.asker-')),
      [],
      'a request nobody serves opens no reply topic',
    );
    assert.equal(await outcome(asker, 'rt.node.b', 30_000), 'b', 'and one that is served opens it');
  } finally {
    await admin.close();
    for (const d of drivers) await d.close();
    await broker.stop();
  }
});
