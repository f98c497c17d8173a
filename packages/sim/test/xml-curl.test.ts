import { describe, it, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { harness, header } from './core-capture.js';
import { parseDialplanDocument } from '../src/core/index.js';

const PARK_DOC = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<document type="freeswitch/xml">
  <section name="dialplan" description="fsbus park">
    <context name="default">
      <extension name="fsbus_park">
        <condition field="destination_number" expression="^(.+)$">
          <action application="set" data="fsbus_parked=yes &amp; more"/>
          <action application="answer"/>
          <action application="park"/>
        </condition>
      </extension>
    </context>
  </section>
</document>`;
const NOT_FOUND = '<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>';

type Mode = 'park' | 'not-found' | 'error' | 'hang';

void describe('mod_xml_curl dialplan binding', () => {
  let server: Server;
  let url = '';
  let mode: Mode = 'park';
  const requests: Array<{ contentType: string | undefined; form: URLSearchParams }> = [];
  let hung: ServerResponse | undefined;
  let arrived: (() => void) | undefined;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        requests.push({ contentType: req.headers['content-type'], form: new URLSearchParams(body) });
        arrived?.();
        if (mode === 'hang') {
          hung = res;
          return;
        }
        res.writeHead(mode === 'error' ? 500 : 200, { 'content-type': 'text/xml' });
        res.end(mode === 'park' ? PARK_DOC : mode === 'not-found' ? NOT_FOUND : 'boom');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dialplan`;
  });

  after(async () => {
    hung?.end();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  void it('POSTs FreeSWITCH form fields and runs the served extension (park)', async () => {
    mode = 'park';
    requests.length = 0;
    const h = harness({ xmlCurlUrl: url });
    const reply = await h.core.api('originate', '{origination_caller_id_number=1001}loopback/4242 &park()');
    assert.match(reply, /^\+OK /);
    assert.equal(requests.length, 1);
    const { contentType, form } = requests[0]!;
    assert.equal(contentType, 'application/x-www-form-urlencoded');
    assert.equal(form.get('section'), 'dialplan');
    assert.equal(form.get('hostname'), 'vm');
    assert.equal(form.get('tag_name'), '');
    assert.equal(form.get('Event-Name'), 'REQUEST_PARAMS');
    assert.equal(form.get('Hunt-Context'), 'default');
    assert.equal(form.get('Hunt-Destination-Number'), '4242');
    assert.equal(form.get('Caller-Destination-Number'), '4242');
    assert.equal(form.get('Caller-Context'), 'default');
    assert.equal(form.get('Channel-Name'), 'loopback/4242-b');
    assert.equal(form.get('variable_origination_caller_id_number'), '1001');
    assert.ok(form.get('Unique-ID'));
    assert.ok(form.get('Core-UUID'));
    const [first] = [...form.keys()];
    assert.equal(first, 'hostname');
    const park = h.events.find((e) => e.name === 'CHANNEL_PARK' && header(e, 'Channel-Name') === 'loopback/4242-b');
    assert.ok(park);
    assert.equal(header(park, 'variable_fsbus_parked'), 'yes & more');
    await h.core.stop();
  });

  void it('bindXmlCurl points a running simulator at the endpoint (and away from it) for the calls routed next', async () => {
    mode = 'park';
    requests.length = 0;
    const h = harness();
    assert.match(await h.core.api('originate', 'loopback/4242 &park()'), /^-ERR /, 'no such extension in the static dialplan');
    h.core.bindXmlCurl(url);
    assert.match(await h.core.api('originate', 'loopback/4242 &park()'), /^\+OK /);
    assert.equal(requests.length, 1);
    h.core.bindXmlCurl(undefined);
    assert.match(await h.core.api('originate', 'loopback/4242 &park()'), /^-ERR /);
    assert.equal(requests.length, 1);
    await h.core.stop();
  });

  void it('falls back to the static dialplan on "not found"', async () => {
    mode = 'not-found';
    const h = harness({ xmlCurlUrl: url });
    assert.equal(await h.core.api('originate', 'loopback/7002 &park()'), '-ERR USER_BUSY\n');
    await h.core.stop();
  });

  void it('falls back on a non-200 answer', async () => {
    mode = 'error';
    const h = harness({ xmlCurlUrl: url });
    assert.equal(await h.core.api('originate', 'loopback/7002 &park()'), '-ERR USER_BUSY\n');
    await h.core.stop();
  });

  void it('falls back when the server does not answer within the `timeout` param (here 5 s; none by default)', async () => {
    mode = 'hang';
    const h = harness({ xmlCurlUrl: url, xmlCurlTimeoutMs: 5000 });
    const gotRequest = new Promise<void>((r) => (arrived = r));
    const reply = h.core.api('originate', 'loopback/7002 &park()');
    await gotRequest;
    arrived = undefined;
    await h.clock.advance(4999);
    assert.equal(h.events.some((e) => e.name === 'CHANNEL_EXECUTE'), false);
    await h.clock.advance(1);
    assert.equal(await reply, '-ERR USER_BUSY\n');
    hung?.end();
    hung = undefined;
    await h.core.stop();
  });

  void it('parses documents: contexts, conditions, anti-actions, not found', () => {
    const r = parseDialplanDocument(PARK_DOC, 'default');
    assert.ok(r.found);
    assert.equal(r.extensions[0]?.name, 'fsbus_park');
    assert.deepEqual(r.extensions[0]?.conditions[0]?.actions.map((a) => a.application), ['set', 'answer', 'park']);
    assert.deepEqual(parseDialplanDocument(NOT_FOUND, 'default'), { found: false, reason: 'not-found' });
    assert.deepEqual(parseDialplanDocument('<document type="freeswitch/xml"/>', 'default'), { found: false, reason: 'not-found' });
  });
});
