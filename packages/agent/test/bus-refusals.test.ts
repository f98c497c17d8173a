// Refusals a client in another language meets first, driven over a real broker as it would drive
// them: the async lane's subject against a body's own command, a numeric correlation_id past
// 2^53 echoed as sent, and field messages that say what is wrong.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { enc, startCluster, type Cluster } from './support/cluster.js';

/** Publishes `body` fire-and-forget on `subject` and resolves with the copy sent to `forwardTo`. */
async function forwardedCopy(cluster: Cluster, subject: string, forwardTo: string, body: string): Promise<ReplyEnvelope> {
  let got!: (r: ReplyEnvelope) => void;
  const copy = new Promise<ReplyEnvelope>((resolve) => (got = resolve));
  const sub = cluster.client.subscribe(forwardTo, (m) => got(decodeReply(m.data)));
  await cluster.client.flush();
  try {
    cluster.client.publish(subject, enc(body));
    await cluster.client.flush();
    return await copy;
  } finally {
    await sub.unsubscribe();
  }
}

void describe('refusals over NATS', () => {
  let cluster: Cluster;
  let lane: string;
  before(async () => {
    cluster = await startCluster();
    lane = cluster.nodes[0]!.agent.subjects.node('node-1');
  });
  after(() => cluster.stop());

  void test("the async lane refuses a body whose command is not the subject's: nothing runs, forward_to hears why, counted and audited", async () => {
    const node = cluster.nodes[0]!;
    const failedBefore = (node.agent.status()['counters'] as Record<string, number>)['requests_failed']!;
    const body = '{"command":"uuid_exists","args":"probe-7","forward_to":"obs.async.mismatch","correlation_id":"m-1"}';
    const r = await forwardedCopy(cluster, 'freeswitch.cmd.async.status', 'obs.async.mismatch', body);
    assert.equal(r.success, false, JSON.stringify(r));
    assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(r.message, 'the body\'s command "uuid_exists" differs from the subject\'s "status": the async lane runs only the command its subject names (leave command out of the body, or publish it to its own lane)');
    assert.equal(r.correlation_id, 'm-1');
    assert.equal(r.data, undefined, 'status ran: its output came back');
    assert.equal((node.agent.status()['counters'] as Record<string, number>)['requests_failed'], failedBefore + 1);
    const audit = node.logs.find((l) => l['audit'] === 'command' && l['subject'] === 'freeswitch.cmd.async.status' && l['code'] === BusErrorCode.INVALID_ARGUMENT);
    assert.ok(audit, 'no audit line for the refusal');
    assert.equal(audit['cmd'], 'status');
    assert.equal(audit['async'], 'yes');
  });

  void test("the async lane runs a body whose command is the subject's", async () => {
    const r = await forwardedCopy(cluster, 'freeswitch.cmd.async.status', 'obs.async.same', '{"command":" status ","forward_to":"obs.async.same"}');
    assert.equal(r.success, true, JSON.stringify(r));
    assert.match(String(r.data), /UP /);
  });

  void test('a numeric correlation_id past 2^53 is refused with its digits echoed as sent', async () => {
    const r = await cluster.request(lane, '{"command":"status","correlation_id":12345678901234567890}');
    assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(r.correlation_id, '12345678901234567890');
  });

  void test('field messages say what is wrong: a required field missing, a wrong type, a bad length', async () => {
    const cases: Array<[string, string]> = [
      ['{"command":"hangup"}', 'uuid must be between 2 and 63 characters'],
      ['{"command":"hangup","uuid":null}', 'uuid must be between 2 and 63 characters'],
      ['{"command":"hangup","uuid":12345}', 'uuid must be a string'],
      ['{"command":"hangup","uuid":"x"}', 'uuid must be between 2 and 63 characters'],
      ['{"command":"originate","endpoint":123,"extension":"1000"}', 'endpoint must be a string'],
      ['{"command":"originate","extension":"1000"}', 'endpoint must be between 1 and 255 characters'],
      ['{"command":"originate","endpoint":"user/1000"}', 'extension must be between 1 and 255 characters'],
      ['{"command":"originate","endpoint":"user/1000","destination":7}', 'destination must be a string'],
      ['{"command":"execute_app","uuid":7,"app":"playback"}', 'execute_app: uuid must be a string'],
      ['{"command":"execute_app","uuid":"abc","app":true}', 'execute_app: app must be a string'],
      ['{"command":"execute_app","uuid":"abc"}', "execute_app: 'app' field required"],
      ['{"command":"dialplan.timeout","seconds":"30"}', 'seconds must be an integer between 0 and 86400'],
      ['{"command":"dialplan.audio","mode":"music","music_class":42}', 'music_class must be a string'],
    ];
    for (const [body, message] of cases) {
      const r = await cluster.request(lane, body);
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, body);
      assert.equal(r.message, message, body);
    }
  });
});
