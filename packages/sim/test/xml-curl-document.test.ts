// What FreeSWITCH 1.10.12 does with the document a mod_xml_curl dialplan binding returns
// (switch_xml.c switch_xml_locate, mod_dialplan_xml.c dialplan_hunt), the Hunt-* fields it
// posts (switch_caller.c switch_caller_profile_event_set_data) and its lack of a default timeout.
import { describe, it, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CoreLogLine } from '../src/core/index.js';
import { parseDialplanDocument } from '../src/core/index.js';
import { harness, header } from './core-capture.js';
import type { Harness } from './core-capture.js';

const PARK_EXTENSION = `<extension name="park_all"><condition field="destination_number" expression="^(.+)$"><action application="answer"/><action application="park"/></condition></extension>`;
const REJECT_EXTENSION = `<extension name="reject_all"><condition field="destination_number" expression="^(.+)$"><action application="hangup" data="CALL_REJECTED"/></condition></extension>`;
const context = (name: string, body: string): string => `<context name="${name}">${body}</context>`;
const dialplanDoc = (contexts: string): string => `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<document type="freeswitch/xml"><section name="dialplan" description="test">${contexts}</section></document>`;

/** The b-leg's CHANNEL_PARK / CHANNEL_HANGUP cause, and the static dialplan's busy 7002 (USER_BUSY) as the fallback mark. */
function outcome(h: Harness): string {
  const b = h.events.filter((e) => header(e, 'Channel-Name') === 'loopback/7002-b');
  if (b.some((e) => e.name === 'CHANNEL_PARK')) return 'parked';
  return header(b.find((e) => e.name === 'CHANNEL_HANGUP') ?? { headers: [] }, 'Hangup-Cause') ?? 'nothing';
}

void describe('mod_xml_curl dialplan binding, as FreeSWITCH uses the document', () => {
  let server: Server;
  let url = '';
  let doc = '';
  let forms: URLSearchParams[] = [];
  /** Set: the next request is held until the test calls release(). */
  let holding: { arrived: () => void; release?: (body: string) => void } | undefined;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        forms.push(new URLSearchParams(body));
        const send = (xml: string): void => void res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
        if (holding === undefined) return send(doc);
        holding.release = send;
        holding.arrived();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dialplan`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** Originates loopback/7002 (busy in the static dialplan) with `served` as the binding's answer. */
  async function call(served: string): Promise<{ h: Harness; reply: string; logs: CoreLogLine[] }> {
    doc = served;
    forms = [];
    const h = harness({ xmlCurlUrl: url });
    const logs: CoreLogLine[] = [];
    h.core.onLog((l) => logs.push(l));
    const reply = await h.core.api('originate', 'loopback/7002 &park()');
    await h.core.stop();
    return { h, reply, logs };
  }

  void it('a document without the call\'s context (nor global): "Context default not found", NO_ROUTE_DESTINATION, no static dialplan', async () => {
    const { h, reply, logs } = await call(dialplanDoc(context('public', PARK_EXTENSION)));
    assert.equal(reply, '-ERR NO_ROUTE_DESTINATION\n');
    assert.equal(outcome(h), 'NO_ROUTE_DESTINATION');
    assert.equal(h.events.some((e) => e.name === 'CHANNEL_EXECUTE' && header(e, 'Channel-Name') === 'loopback/7002-b'), false);
    const warning = logs.find((l) => l.text.includes('Context default not found'));
    assert.ok(warning, 'mod_dialplan_xml warns');
    assert.equal(warning.level, 4);
    assert.equal(`${warning.file}:${warning.line}`, 'mod_dialplan_xml.c:669');
  });

  void it('a document whose context has no matching extension: NO_ROUTE_DESTINATION, no static dialplan', async () => {
    const only9999 = `<extension name="x"><condition field="destination_number" expression="^9999$"><action application="park"/></condition></extension>`;
    const { h, reply } = await call(dialplanDoc(context('default', only9999)));
    assert.equal(reply, '-ERR NO_ROUTE_DESTINATION\n');
    assert.equal(outcome(h), 'NO_ROUTE_DESTINATION');
  });

  void it('the context is matched by name case-insensitively, not taken first come', async () => {
    const { h } = await call(dialplanDoc(context('public', REJECT_EXTENSION) + context('DEFAULT', PARK_EXTENSION)));
    assert.equal(outcome(h), 'parked');
  });

  void it('without the call\'s context, the `global` context is used; the call\'s own context comes first', async () => {
    assert.equal(outcome((await call(dialplanDoc(context('public', REJECT_EXTENSION) + context('Global', PARK_EXTENSION)))).h), 'parked');
    assert.equal(outcome((await call(dialplanDoc(context('global', REJECT_EXTENSION) + context('default', PARK_EXTENSION)))).h), 'parked');
  });

  void it('a malformed document is not used: the static dialplan runs', async () => {
    const unclosed = `<document type="freeswitch/xml"><section name="dialplan">${context('default', PARK_EXTENSION)}</section>`;
    const { h, reply } = await call(unclosed);
    assert.equal(reply, '-ERR USER_BUSY\n');
    assert.equal(outcome(h), 'USER_BUSY');
  });

  void it('parses as switch_xml does: what it rejects, and where it looks', () => {
    const good = dialplanDoc(context('default', PARK_EXTENSION));
    for (const bad of [
      '',
      '   ',
      'not xml',
      good.replace('</document>', ''), // unclosed tag <document>
      good.replace('</section>', '</Section>'), // unexpected closing tag (names are case-sensitive)
      good.replace('<action application="park"/>', '<action application="park">'), // unclosed <action>
      good.replace('application="park"', 'application="park'), // missing "
      good + '<document/>', // markup outside of root element
      good.replace('<context', '<!-- unclosed comment <context'),
      good.replace('<context', '< context'), // unexpected <
    ]) {
      assert.deepEqual(parseDialplanDocument(bad, 'default'), { found: false, reason: 'malformed' }, bad);
    }
    const withComment = good.replace('<context', '<!-- a comment --><?pi x?><context');
    assert.equal(parseDialplanDocument(withComment, 'default').found, true);
    // Sections and contexts are read from the document's root element and section only.
    const nested = `<document><wrapper><section name="dialplan">${context('default', PARK_EXTENSION)}</section></wrapper></document>`;
    assert.deepEqual(parseDialplanDocument(nested, 'default'), { found: false, reason: 'not-found' });
    const deepContext = `<document><section name="dialplan"><group>${context('default', PARK_EXTENSION)}</group></section></document>`;
    assert.deepEqual(parseDialplanDocument(deepContext, 'default'), { found: true, context: undefined, extensions: [] });
    const r = parseDialplanDocument(`<document><section name="DIALPLAN">${context('Default', PARK_EXTENSION)}</section></document>`, 'default');
    assert.ok(r.found);
    assert.equal(r.context, 'Default');
    assert.equal(r.extensions[0]?.name, 'park_all');
  });

  void it('"not found" counts only as the first <result> of <section name="result">', async () => {
    const notFoundInDialplan = `<document type="freeswitch/xml"><section name="dialplan"><result status="not found"/>${context('default', PARK_EXTENSION)}</section></document>`;
    assert.equal(outcome((await call(notFoundInDialplan)).h), 'parked');
    const resultSection = (results: string): string => `<document type="freeswitch/xml"><section name="Result">${results}</section><section name="dialplan">${context('default', PARK_EXTENSION)}</section></document>`;
    const notFound = await call(resultSection('<result status="NOT FOUND"/>'));
    assert.equal(notFound.reply, '-ERR USER_BUSY\n');
    assert.equal(outcome(notFound.h), 'USER_BUSY');
    assert.equal(outcome((await call(resultSection('<result status="found"/><result status="not found"/>'))).h), 'parked');
  });

  void it('posts every Hunt-* field switch_caller_profile_event_set_data gives the call\'s profile (the Caller-* set), none empty', async () => {
    await call(dialplanDoc(context('default', PARK_EXTENSION)));
    const form = forms[0];
    assert.ok(form);
    const suffixes = (prefix: string): string[] => [...form.keys()].filter((k) => k.startsWith(`${prefix}-`)).map((k) => k.slice(prefix.length + 1));
    assert.deepEqual(suffixes('Hunt'), suffixes('Caller'));
    for (const s of suffixes('Caller')) assert.equal(form.get(`Hunt-${s}`), form.get(`Caller-${s}`), s);
    for (const s of ['Profile-Index', 'Profile-Created-Time', 'Channel-Created-Time', 'Channel-Answered-Time', 'Orig-Caller-ID-Number', 'Screen-Bit', 'Privacy-Hide-Name', 'Privacy-Hide-Number']) {
      assert.ok(form.has(`Hunt-${s}`), s);
    }
    assert.equal(form.get('Hunt-Profile-Index'), '1');
    // dialplan_xml_locate creates the REQUEST_PARAMS event at mod_dialplan_xml.c:610.
    assert.deepEqual(['Event-Calling-File', 'Event-Calling-Function', 'Event-Calling-Line-Number'].map((k) => form.get(k)), ['mod_dialplan_xml.c', 'dialplan_xml_locate', '610']);
    assert.equal(form.get('Hunt-Channel-Name'), 'loopback/7002-b');
    // Left out when empty, as on a FreeSWITCH loopback call originated from the API.
    for (const s of ['Username', 'Network-Addr', 'ANI-II', 'Transfer-Source', 'RDNIS']) assert.equal(form.has(`Hunt-${s}`), false, s);
    for (const [k, v] of form) if (k.startsWith('Hunt-')) assert.notEqual(v, '', k);
    // The Hunt-* block follows the channel data, after the variables.
    const keys = [...form.keys()];
    assert.ok(keys.indexOf('Hunt-Direction') > keys.findLastIndex((k) => k.startsWith('variable_')));
  });

  /** Originates with the binding's answer held; resolves once the request has arrived. */
  async function stalledCall(options: { xmlCurlTimeoutMs?: number }): Promise<{ h: Harness; reply: Promise<string>; settled: () => boolean }> {
    const arrived = new Promise<void>((r) => (holding = { arrived: r }));
    const h = harness({ xmlCurlUrl: url, ...options });
    let done = false;
    const reply = h.core.api('originate', 'loopback/7002 &park()').finally(() => (done = true));
    await arrived;
    return { h, reply, settled: () => done };
  }

  // 10 s: past a 5 s `timeout` param, short of originate's own 60 s.
  void it('has no default timeout: a stalled server holds call set-up until it answers', async () => {
    const withParam = await stalledCall({ xmlCurlTimeoutMs: 5000 });
    await withParam.h.clock.advance(10_000);
    assert.equal(await withParam.reply, '-ERR USER_BUSY\n', 'with the timeout param the lookup falls back');
    holding?.release?.('');
    await withParam.h.core.stop();

    const stalled = await stalledCall({});
    await stalled.h.clock.advance(10_000);
    assert.equal(stalled.settled(), false, 'the originate is still waiting for the lookup');
    const b = stalled.h.events.filter((e) => header(e, 'Channel-Name') === 'loopback/7002-b');
    assert.deepEqual(b.filter((e) => e.name === 'CHANNEL_EXECUTE' || e.name === 'CHANNEL_HANGUP'), []);
    assert.equal(header(b.at(-1) ?? { headers: [] }, 'Channel-State'), 'CS_ROUTING');
    holding?.release?.(dialplanDoc(context('default', PARK_EXTENSION)));
    holding = undefined;
    assert.match(await stalled.reply, /^\+OK /);
    assert.equal(outcome(stalled.h), 'parked');
    await stalled.h.core.stop();
  });
});
