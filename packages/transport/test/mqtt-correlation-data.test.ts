// MQTT 5 Correlation Data is binary (§3.3.2.3.6): many libraries send raw UUID bytes. A plain
// MQTT 5 requester matches the reply by those bytes, so a server echoes them byte for byte —
// decoded as UTF-8 text, `ff008001` came back as `efbfbd00efbfbd01` and the requester never got its
// reply. The same bytes on a reply passed on from another node (a hand-off).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { startMosquitto } from '@fsbus/testkit';
import { MqttDriver } from '../src/drivers/mqtt/mqtt-driver.js';
import { Collector, dec, enc } from './conformance/helpers.js';

void test("mqtt: a plain MQTT 5 requester's binary Correlation Data comes back byte for byte, handed off or not", { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const server = new MqttDriver({ urls: [broker.url] });
  let raw: MqttClient | undefined;
  try {
    await server.connect();
    server.serve({ subject: 'cd.api', competing: true }, (req) => {
      if (dec(req.data) === 'hand-off') {
        req.forward('cd.node.b');
        return undefined;
      }
      return enc(`pong:${dec(req.data)}`);
    });
    server.serve({ subject: 'cd.node.b', competing: false }, (req) => enc(`b:${dec(req.data)}`));
    await server.flush();

    raw = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const me = 'clients/cd-requester';
    const replies = new Collector<{ body: string; corr: string | undefined }>();
    raw.on('message', (_topic, payload, packet) => {
      replies.push({ body: payload.toString('utf8'), corr: packet.properties?.correlationData?.toString('hex') });
    });
    await raw.subscribeAsync(me, { qos: 1 });
    const sent = [
      { body: 'x', corr: Buffer.from('ff008001', 'hex') },
      { body: 'y', corr: randomBytes(16) },
      { body: 'ascii', corr: Buffer.from('plain-text-id') },
      { body: 'hand-off', corr: Buffer.from('80ffc3280a00', 'hex') },
    ];
    for (const { body, corr } of sent) {
      await raw.publishAsync('cd/api', body, { qos: 1, properties: { responseTopic: me, correlationData: corr } });
    }
    const got = await replies.until(sent.length);
    const byBody = new Map(got.map((r) => [r.body, r.corr]));
    assert.deepEqual(
      new Map([...byBody].sort()),
      new Map(
        [
          ['pong:x', 'ff008001'],
          ['pong:y', sent[1]!.corr.toString('hex')],
          ['pong:ascii', Buffer.from('plain-text-id').toString('hex')],
          ['b:hand-off', '80ffc3280a00'],
        ].sort() as Array<[string, string]>,
      ),
    );
  } finally {
    await server.close();
    await raw?.endAsync(true);
    await broker.stop();
  }
});
