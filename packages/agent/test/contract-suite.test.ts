// Port of mod_event_agent's own integration suite (tests/src/test_validation.c, test_size_limit.c,
// test_denylist.c) plus the cases it lacked: empty payload, non-object JSON, unknown verb, -ERR.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, decodeReply } from '@fsbus/contract';
import { connect } from '@nats-io/transport-node';
import { enc, startCluster, type Cluster } from './support/cluster.js';

// mod_event_agent's COMMAND_API_DENYLIST, as its test_denylist.c lists it.
const DENIED = ['shutdown', 'fsctl', 'load', 'unload', 'reload', 'reloadxml', 'reloadacl', 'bgapi', 'system', 'bg_system', 'lua', 'luarun', 'msleep'];

void describe('mod_event_agent suite over NATS', () => {
  let cluster: Cluster;
  let subject: string;
  before(async () => {
    cluster = await startCluster({ config: { commands: { denylist: DENIED } } });
    subject = cluster.nodes[0]!.agent.subjects.node('node-1');
  });
  after(() => cluster.stop());

  // test_validation.c: [name, payload, expected substring]
  const validation: Array<[string, string, string]> = [
    ['invalid_json_garbage', 'not json at all', 'Invalid JSON payload'],
    ['invalid_json_unterminated', '{"command":"agent.status"', 'Invalid JSON payload'],
    ['missing_command_field', '{"args":"foo"}', "Missing 'command'"],
    ['command_not_string', '{"command":42}', "Missing 'command'"],
    ['originate_missing_endpoint', '{"command":"originate"}', 'endpoint must be'],
    ['originate_empty_endpoint', '{"command":"originate","endpoint":""}', 'endpoint must be'],
    ['originate_missing_extension', '{"command":"originate","endpoint":"user/1000"}', 'extension must be'],
    ['hangup_missing_uuid', '{"command":"hangup"}', 'uuid must be'],
    ['dialplan_audio_bad_mode', '{"command":"dialplan.audio","mode":"loud"}', 'Invalid mode'],
    ['dialplan_audio_missing_mode', '{"command":"dialplan.audio"}', 'Invalid mode'],
    ['dialplan_autoanswer_string', '{"command":"dialplan.autoanswer","enabled":"yes"}', 'enabled must be a boolean'],
    // Wrong-typed envelope fields are refused, not dropped (a dropped args ran a bare hupall).
    ['args_array', '{"command":"hupall","args":["NORMAL_CLEARING","tag","a"]}', 'args must be a string, number or boolean'],
    ['node_id_number', '{"command":"agent.status","node_id":42}', 'node_id must be a string'],
    ['timeout_ms_string', '{"command":"status","timeout_ms":"soon"}', 'timeout_ms must be a positive number'],
  ];
  for (const [name, payload, expected] of validation) {
    void test(`validation: ${name}`, async () => {
      const r = await cluster.request(subject, payload);
      assert.equal(r.success, false);
      assert.equal(r.status, 'error');
      assert.ok(r.message.includes(expected), r.message);
      assert.match(r.code ?? '', /^FSBUS_ERR_BUS_/);
      assert.equal(r.node_id, 'node-1');
    });
  }

  void test('size limit: small payload accepted', async () => {
    const r = await cluster.request(subject, '{"command":"agent.status"}');
    assert.equal(r.success, true);
  });
  void test('size limit: 65 472-byte junk (under the 64 KB cap) accepted', async () => {
    const payload = `{"command":"agent.status","junk":"${'A'.repeat(65472)}"}`;
    assert.ok(Buffer.byteLength(payload) <= 65536);
    const r = await cluster.request(subject, payload);
    assert.equal(r.success, true, r.message);
  });
  void test('size limit: 71 680-byte junk rejected as Payload too large', async () => {
    const r = await cluster.request(subject, `{"command":"agent.status","junk":"${'A'.repeat(71680)}"}`);
    assert.equal(r.success, false);
    assert.equal(r.message, 'Payload too large');
    assert.equal(r.code, BusErrorCode.PAYLOAD_TOO_LARGE);
  });

  for (const verb of DENIED) {
    void test(`denylist: '${verb}' denied`, async () => {
      const r = await cluster.request(subject, JSON.stringify({ command: verb }));
      assert.equal(r.success, false);
      assert.equal(r.message, 'Command is not permitted via the event bus');
      assert.equal(r.code, BusErrorCode.COMMAND_DENIED);
    });
  }
  void test('denylist before a field of the wrong type (SPEC §3.3 order); the refusal is audited with its command', async () => {
    const r = await cluster.request(subject, JSON.stringify({ command: 'shutdown', async: 'yes', correlation_id: 'o-1' }));
    assert.equal(r.code, BusErrorCode.COMMAND_DENIED);
    const wrongType = await cluster.request(subject, JSON.stringify({ command: 'status', async: 'yes' }));
    assert.equal(wrongType.message, 'async must be a boolean');
    const audits = cluster.nodes[0]!.logs.filter((l) => l['audit'] === 'command' && l['code'] === BusErrorCode.COMMAND_DENIED && l['cmd'] === 'shutdown');
    assert.ok(audits.length > 0, 'audit line names the denied command');
  });
  void test('denylist: leading verb, case-insensitive', async () => {
    const r = await cluster.request(subject, JSON.stringify({ command: 'ShutDown', args: 'now' }));
    assert.equal(r.code, BusErrorCode.COMMAND_DENIED);
  });
  void test('denylist: a listed verb run through a wrapper (expand, sched_api, in command or args) is denied too', async () => {
    for (const body of [
      { command: 'expand', args: 'system id' },
      { command: 'expand system', args: 'id' },
      { command: 'sched_api', args: '+1 none shutdown' },
      { command: 'expand', args: 'expand reloadxml' },
    ]) {
      const r = await cluster.request(subject, JSON.stringify(body));
      assert.equal(r.code, BusErrorCode.COMMAND_DENIED, JSON.stringify(body));
    }
  });
  for (const verb of ['uptime', 'version', 'status']) {
    void test(`denylist: '${verb}' allowed`, async () => {
      const r = await cluster.request(subject, JSON.stringify({ command: verb }));
      assert.equal(r.success, true, JSON.stringify(r));
      assert.equal(r.message, 'API command executed');
      assert.equal(typeof r.data, 'string');
    });
  }

  void test('empty payload', async () => {
    const r = await cluster.request(subject, new Uint8Array(0));
    assert.equal(r.message, 'Empty payload');
    assert.equal(r.code, BusErrorCode.EMPTY_PAYLOAD);
  });
  void test('non-object JSON', async () => {
    for (const p of ['[]', '"status"', '42', 'null']) {
      const r = await cluster.request(subject, p);
      assert.equal(r.message, 'Invalid JSON payload', p);
    }
  });
  void test('unknown verb: FreeSWITCH -ERR output is an error envelope with the raw output', async () => {
    const r = await cluster.request(subject, '{"command":"no_such_verb","correlation_id":"c-7"}');
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.COMMAND_FAILED);
    assert.match(String(r.data), /^-ERR/);
    assert.equal(r.correlation_id, 'c-7');
  });
  void test("a command that prints nothing succeeds with empty data (FreeSWITCH's `-ERR no reply` over ESL)", async () => {
    for (const body of [{ command: 'global_getvar', args: 'fsbus_no_such_var' }, { command: 'echo' }]) {
      const r = await cluster.request(subject, JSON.stringify(body));
      assert.equal(r.success, true, JSON.stringify(r));
      assert.equal(r.message, 'API command executed');
      assert.equal(r.data, '');
    }
  });
  void test('-ERR output of a known verb', async () => {
    const r = await cluster.request(subject, '{"command":"uuid_kill","args":"00000000-0000-0000-0000-000000000000"}');
    assert.equal(r.success, false);
    assert.match(String(r.data), /^-ERR/);
  });
  void test('envelope: first six keys exactly, then data, correlation_id; µs timestamp', async () => {
    const raw = await cluster.client.request(subject, enc('{"command":"version","correlation_id":"k1"}'), { timeoutMs: 5000 });
    const obj = JSON.parse(new TextDecoder().decode(raw.data)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(obj), ['success', 'status', 'message', 'timestamp', 'node_id', 'data', 'correlation_id']);
    assert.ok(Number.isSafeInteger(obj['timestamp']) && (obj['timestamp'] as number) > 1e15);
  });
  void test('bg: true runs the command as bgapi', async () => {
    const r = await cluster.request(subject, '{"command":"status","bg":true}');
    assert.equal(r.success, true, JSON.stringify(r));
    assert.match(String(r.data), /UP/);
  });
  void test('hangup: a live channel is killed; an unknown one is an error', async () => {
    const o = await cluster.request(subject, '{"command":"originate","endpoint":"loopback/7001","extension":"7001"}');
    assert.equal(o.success, true, JSON.stringify(o));
    const { uuid } = o.data as { uuid: string };
    const h = await cluster.request(subject, JSON.stringify({ command: 'hangup', uuid }));
    assert.equal(h.success, true, JSON.stringify(h));
    assert.equal(h.message, 'Channel hangup successful');
    const again = await cluster.request(subject, JSON.stringify({ command: 'hangup', uuid }));
    assert.equal(again.success, false);
    // Gone: coded as execute_app codes it, naming the channel.
    assert.equal(again.code, BusErrorCode.SESSION_NOT_FOUND);
    assert.deepEqual(again.data, { uuid });
  });
  void test('forward_to may not target the agent subjects', async () => {
    const r = await cluster.request(subject, '{"command":"status","forward_to":"freeswitch.api"}');
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
  });
  void test("forward_to and the NATS reply subject may not reach the server's $ namespace ($JS.API: purge a stream with the agent's credentials)", async () => {
    const seen: string[] = [];
    const spy = cluster.client.subscribe('$JS.API.>', (m) => seen.push(m.subject));
    await cluster.client.flush();
    try {
      const r = await cluster.request(subject, '{"command":"status","forward_to":"$JS.API.STREAM.PURGE.FREESWITCH_EVENTS"}');
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
      assert.match(r.message, /system subjects/);
      const nc = await connect({ servers: cluster.broker.url });
      try {
        nc.publish(subject, enc('{"command":"status"}'), { reply: '$JS.API.STREAM.PURGE.FREESWITCH_EVENTS' });
        // In order on one connection: once this is answered, the agent has read the one before.
        await nc.request(subject, enc('{"command":"agent.status"}'), { timeout: 5000 });
      } finally {
        await nc.close();
      }
      const node = cluster.nodes[0]!;
      assert.ok(node.logs.some((l) => l['msg'] === "request refused: its reply subject is in the server's $ namespace"), 'refusal logged');
      await cluster.client.flush();
      assert.deepEqual(seen, []);
    } finally {
      await spy.unsubscribe();
    }
  });
  void test('forward_to must be a publishable subject; refused requests are forwarded too', async () => {
    const bad = await cluster.request(subject, '{"command":"status","forward_to":"a b.>"}');
    assert.equal(bad.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(bad.message, 'forward_to must be a subject: at most 255 characters of dot-separated tokens of [A-Za-z0-9_$:-] (no spaces, wildcards or empty tokens)');
    const seen = new Promise<Uint8Array>((resolve) => {
      const sub = cluster.client.subscribe('observers.refused', (m) => {
        resolve(m.data);
        void sub.unsubscribe();
      });
    });
    await cluster.client.flush();
    const raw = await cluster.client.request(subject, enc('{"command":"","forward_to":"observers.refused"}'), { timeoutMs: 5000 });
    assert.deepEqual(Buffer.from(await seen), Buffer.from(raw.data));
  });
  void test('a denied verb with a bad forward_to: COMMAND_DENIED to the requester (SPEC §3.3 order), nothing published there', async () => {
    const seen: string[] = [];
    // Exact subjects: FreeSWITCH's own API events go to freeswitch.events.api meanwhile.
    const subs = ['freeswitch.events.channel.create', 'freeswitch.broadcast'].map((p) => cluster.client.subscribe(p, (m) => seen.push(m.subject)));
    const marker = new Promise<void>((resolve) => {
      const sub = cluster.client.subscribe('observers.marker', () => {
        resolve();
        void sub.unsubscribe();
      });
    });
    await cluster.client.flush();
    try {
      for (const forward of ['freeswitch.events.channel.create', 'freeswitch.broadcast', 'not a subject', 'evil\r\nPUB injected 2\r\nhi']) {
        const r = await cluster.request(subject, JSON.stringify({ command: 'system', args: 'id', forward_to: forward, correlation_id: 'd-1' }));
        assert.equal(r.code, BusErrorCode.COMMAND_DENIED, forward);
        assert.equal(r.correlation_id, 'd-1');
        // A permitted verb with that forward_to is refused for the forward_to itself.
        const allowed = await cluster.request(subject, JSON.stringify({ command: 'status', forward_to: forward, correlation_id: 'd-2' }));
        assert.equal(allowed.code, BusErrorCode.INVALID_ARGUMENT, forward);
        assert.match(allowed.message, /^forward_to /);
      }
      // One connection, in order: once the marker's copy is here, any forged copy would be too.
      await cluster.request(subject, '{"command":"status","forward_to":"observers.marker"}');
      await marker;
      assert.deepEqual(seen, []);
    } finally {
      for (const s of subs) await s.unsubscribe();
    }
  });
  void test('async lane: the body gets the checks on its bytes as sent', async () => {
    const node = cluster.nodes[0]!;
    const asyncStatus = 'freeswitch.cmd.async.status';
    const auditsOf = (bytes: number) => node.logs.filter((l) => l['audit'] === 'command' && l['subject'] === asyncStatus && l['payload_bytes'] === bytes);
    // The agent handles one connection's messages in order: once this reply is here, a refusal of
    // what was published before it (refusals are immediate) is in the log.
    const ping = () => cluster.request(subject, '{"command":"agent.status"}');
    const copy = (to: string) =>
      new Promise<ReturnType<typeof decodeReply>>((resolve) => {
        const sub = cluster.client.subscribe(to, (m) => {
          resolve(decodeReply(m.data));
          void sub.unsubscribe();
        });
      });

    // Not UTF-8: refused as on the direct lane.
    const bad = Uint8Array.of(...enc('{"args":"'), 0xff, ...enc('"}'));
    cluster.client.publish(asyncStatus, bad);
    await ping();
    assert.deepEqual(auditsOf(bad.byteLength).map((l) => [l['result'], l['code'], l['cmd']]), [['err', BusErrorCode.INVALID_JSON, 'status']]);

    // Exactly the cap: accepted (the lane's command is not added to the bytes that are measured).
    const head = '{"forward_to":"observers.cap","p":"';
    const atCap = enc(`${head}${'x'.repeat(65536 - head.length - 2)}"}`);
    assert.equal(atCap.byteLength, 65536);
    const capped = copy('observers.cap');
    await cluster.client.flush();
    cluster.client.publish(asyncStatus, atCap);
    await ping();
    assert.deepEqual(auditsOf(65536).filter((l) => l['result'] === 'err'), []);
    assert.equal((await capped).success, true);

    // Deeply nested, valid and under the cap: handled, answered on forward_to, audited.
    const depth = 30_000;
    const deep = enc(`{"forward_to":"observers.deep","a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const deepCopy = copy('observers.deep');
    await cluster.client.flush();
    cluster.client.publish(asyncStatus, deep);
    await ping();
    assert.deepEqual(node.logs.filter((l) => (l['level'] as number) >= 50), []);
    assert.equal((await deepCopy).success, true);
    await ping();
    assert.deepEqual(auditsOf(deep.byteLength).map((l) => l['result']), ['ok']);
  });
  void test('agent.status reports identity, connections and counters', async () => {
    const r = await cluster.request(subject, '{"command":"agent.status"}');
    const d = r.data as { node_id: string; driver: string; connected: boolean; esl: { status: string }; counters: { requests_received: number } };
    assert.equal(d.node_id, 'node-1');
    assert.equal(d.driver, 'nats');
    assert.equal(d.connected, true);
    assert.equal(d.esl.status, 'ready');
    assert.ok(d.counters.requests_received > 0);
  });
  void test('audit line per command, never the payload (nor a command\'s inline arguments)', async () => {
    await cluster.request(subject, '{"command":"global_getvar fsbus_marker_4711"}');
    const lines = cluster.nodes[0]!.logs.filter((l) => l['audit'] === 'command');
    assert.ok(lines.every((l) => !JSON.stringify(l).includes('fsbus_marker_4711')), 'inline arguments leaked into the log');
    assert.ok(lines.some((l) => String(l['msg']).startsWith('audit=command cmd=global_getvar subject=')));
    assert.ok(lines.length > 10);
    const junk = 'A'.repeat(100);
    for (const l of lines) assert.ok(!JSON.stringify(l).includes(junk), 'payload leaked into the log');
    const msgs = lines.map((l) => String(l['msg']));
    assert.ok(msgs.includes(`audit=command cmd=status subject=${subject} result=ok async=no payload_bytes=20`), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.startsWith('audit=command cmd=- ') && m.includes('result=err')));
  });
});

void describe('allowlist', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ env: { FSBUS_API_ALLOWLIST: 'status,version' } });
  });
  after(() => cluster.stop());
  void test('only listed verbs reach FreeSWITCH; built-ins stay available', async () => {
    const s = cluster.nodes[0]!.agent.subjects.node('node-1');
    assert.equal((await cluster.request(s, '{"command":"status"}')).success, true);
    assert.equal((await cluster.request(s, '{"command":"uptime"}')).code, BusErrorCode.COMMAND_DENIED);
    assert.equal((await cluster.request(s, '{"command":"agent.status"}')).success, true);
  });
});
