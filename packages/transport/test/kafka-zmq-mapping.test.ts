// Pure mappings of the kafka and zmq drivers: subjects → topics, the zmq wire and URLs.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { topicFor, topicForPattern } from '../src/drivers/kafka/kafka-topics.js';
import { subjectMatches } from '../src/subject-pattern.js';
import { eventKey } from '../src/drivers/kafka/kafka-wire.js';
import { bootstrapList } from '../src/drivers/kafka/kafka-options.js';
import { decodeWire, encodeWire, Kind, parseZmqUrl, toModEventZmq } from '../src/drivers/zmq/zmq-protocol.js';

void test('kafka: a subject maps to the topic of its root', () => {
  const cases: Array<[string, string | undefined]> = [
    ['freeswitch.api', 'freeswitch.api'],
    ['freeswitch.broadcast', 'freeswitch.broadcast'],
    ['freeswitch.node.fs-1', 'freeswitch.node.fs-1'],
    ['freeswitch.api.fs-1', 'freeswitch.api.fs-1'],
    ['freeswitch.cmd.async.reloadxml', 'freeswitch.cmd.async'],
    ['freeswitch.cmd.async.agent.status', 'freeswitch.cmd.async'],
    ['freeswitch.events.channel.create', 'freeswitch.events'],
    ['freeswitch.events.custom.sofia.register', 'freeswitch.events'],
    ['freeswitch.results.audit', 'freeswitch.results'],
    ['bad subject', undefined],
    ['a..b', undefined],
  ];
  for (const [subject, topic] of cases) assert.equal(topicFor(subject), topic, subject);
  // A dotted namespace (the agent's prefix) is one root.
  assert.equal(topicFor('acme.fs.events.heartbeat', 'acme.fs'), 'acme.fs.events');
  assert.equal(topicFor('acme.fs.node.n1', 'acme.fs'), 'acme.fs.node.n1');
  assert.equal(topicFor('acme.fs.api', 'acme.fs'), 'acme.fs.api');
});

void test('kafka: wildcard patterns read their root topic; others are refused', () => {
  assert.equal(topicForPattern('freeswitch.events.>'), 'freeswitch.events');
  assert.equal(topicForPattern('freeswitch.events.channel.*'), 'freeswitch.events');
  assert.equal(topicForPattern('freeswitch.cmd.async.>'), 'freeswitch.cmd.async');
  assert.equal(topicForPattern('c6.results.*'), 'c6.results');
  // freeswitch.cmd.> and freeswitch.cmd.*.x would match freeswitch.cmd.async.<cmd>, produced to another topic.
  for (const p of ['>', 'freeswitch.>', 'freeswitch.*.x', 'freeswitch.node.*', 'a.>.b', 'freeswitch.cmd.>', 'freeswitch.cmd.*.x']) assert.equal(topicForPattern(p), undefined, p);
  assert.equal(topicForPattern('freeswitch.cmd.*'), 'freeswitch.cmd', 'one token after cmd: never a cmd.async.<cmd> subject');
  assert.ok(subjectMatches('a.*.c', 'a.b.c'));
  assert.ok(!subjectMatches('a.*', 'a.b.c'));
  assert.ok(subjectMatches('a.>', 'a.b.c'));
  assert.ok(!subjectMatches('a.>', 'a'));
});

void test('kafka: an event is keyed by its channel uuid; bootstrap lists are parsed', () => {
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
  assert.equal(eventKey(enc({ event_name: 'CHANNEL_ANSWER', timestamp: 1, node_id: 'n', uuid: 'abc-1', headers: { uuid: 'x' } }))?.toString(), 'abc-1');
  // A `uuid` only inside the headers is not the channel's.
  assert.equal(eventKey(enc({ event_name: 'HEARTBEAT', timestamp: 1, node_id: 'n', headers: { uuid: 'x' } })), undefined);
  assert.deepEqual(bootstrapList(['kafka://a:1,b', 'kafka+ssl://c:3/']), ['a:1', 'b:9092', 'c:3']);
});

void test('zmq: URLs, wire frames and the mod_event_zmq event shape', () => {
  assert.deepEqual(parseZmqUrl('zmq://127.0.0.1:5555'), { commands: 'tcp://127.0.0.1:5555', events: 'tcp://127.0.0.1:5556', compat: false, slow: 'hold', bind: false });
  assert.deepEqual(parseZmqUrl('tcp://10.0.0.1:7000?events=7100&mode=mod_event_zmq'), { commands: 'tcp://10.0.0.1:7000', events: 'tcp://10.0.0.1:7100', compat: true, slow: 'hold', bind: false });
  assert.equal(parseZmqUrl('zmq://127.0.0.1:7000?mode=mod_event_zmq&slow=drop').slow, 'drop');
  assert.throws(() => parseZmqUrl('zmq://127.0.0.1:7000?slow=dorp'), /slow must be hold or drop/);
  assert.equal(parseZmqUrl('zmq://127.0.0.1:7000?bind').bind, true);
  assert.equal(parseZmqUrl('zmq://127.0.0.1:7000?bind=false').bind, false);
  const frames = encodeWire({ kind: Kind.REQ, subject: 'freeswitch.api', id: '42', headers: { a: 'b' }, data: new TextEncoder().encode('{}') });
  assert.deepEqual(frames.map((f) => f.toString()), ['FSB1', 'REQ', 'freeswitch.api', '42', '{"a":"b"}', '{}']);
  const back = decodeWire(frames);
  assert.equal(back?.kind, 'REQ');
  assert.deepEqual(back?.headers, { a: 'b' });
  assert.equal(decodeWire([Buffer.from('nope')]), undefined);
  assert.equal(decodeWire(frames.map((f, i) => (i === 1 ? Buffer.from('XXX') : f))), undefined);
  const fs = toModEventZmq(new TextEncoder().encode(JSON.stringify({ event_name: 'CUSTOM', headers: { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'a::b' }, body: 'x' })));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(fs)), { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'a::b', _body: 'x' });
  assert.equal(new TextDecoder().decode(toModEventZmq(new TextEncoder().encode('not json'))), 'not json');
});
