// Park mode pieces without a broker: the XML per mode, the state file, the HTTP endpoint (paths,
// methods, basic auth, size cap), the park counter.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EslEvent } from '@fsbus/esl';
import {
  DEFAULT_PARK_SETTINGS,
  NOT_FOUND_DOCUMENT,
  ParkManager,
  ParkStateFile,
  RING_TONE,
  XmlCurlServer,
  parkActions,
  parkDocument,
  parseSettings,
  type ParkSettings,
} from '@fsbus/agent';

const settings = (patch: Partial<ParkSettings>): ParkSettings => ({ ...DEFAULT_PARK_SETTINGS, enabled: true, ...patch });

void test('park actions per audio mode, auto-answer and timeout', () => {
  const apps = (s: ParkSettings) => parkActions(s, 'n1').map((a) => (a.data === undefined ? a.application : `${a.application} ${a.data}`));
  assert.deepEqual(apps(settings({})), ['set fsbus_park_node=n1', 'park']);
  assert.deepEqual(apps(settings({ mode: 'ringback' })), ['set fsbus_park_node=n1', `set ringback=${RING_TONE}`, `set transfer_ringback=${RING_TONE}`, 'ring_ready', 'park']);
  // park never reads hold_music: what the caller hears is the playback the agent starts on CHANNEL_PARK.
  assert.deepEqual(apps(settings({ mode: 'ringback', autoanswer: true })), [
    'set fsbus_park_node=n1',
    'answer',
    `set ringback=${RING_TONE}`,
    `set transfer_ringback=${RING_TONE}`,
    `set fsbus_park_audio=%[playback_terminators=none]tone_stream://${RING_TONE};loops=-1`,
    'park',
  ]);
  assert.deepEqual(apps(settings({ mode: 'music', music_class: 'moh/8000' })), [
    'set fsbus_park_node=n1',
    'pre_answer',
    'set fsbus_park_audio=%[playback_terminators=none]local_stream://moh/8000',
    'park',
  ]);
  assert.deepEqual(apps(settings({ mode: 'music', autoanswer: true, timeout_seconds: 30 })), [
    'set fsbus_park_node=n1',
    'answer',
    'set fsbus_park_audio=%[playback_timeout_sec=30,playback_terminators=none]local_stream://moh',
    'set park_timeout=30:ALLOTTED_TIMEOUT',
    'park',
  ]);
  // playback ignores a playback_timeout_sec under 2 (switch_ivr_play_say.c: `tmp > 1`).
  assert.match(apps(settings({ mode: 'music', timeout_seconds: 1 }))[2]!, /playback_timeout_sec=2,/);
  assert.deepEqual(apps(settings({ autoanswer: true, timeout_seconds: 30, timeout_cause: 'ALLOTTED_TIMEOUT' })), [
    'set fsbus_park_node=n1',
    'answer',
    'set park_timeout=30:ALLOTTED_TIMEOUT',
    'park',
  ]);
});

void test('the park document is what mod_dialplan_xml reads, for the asked context, XML-escaped', () => {
  const xml = parkDocument(settings({ mode: 'music' }), 'we<ird"&ctx', 'n1');
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?>\n<document type="freeswitch\/xml">/);
  assert.match(xml, /<context name="we&lt;ird&quot;&amp;ctx">/);
  assert.match(xml, /<section name="dialplan" description="fsbus park mode">/);
  assert.match(xml, /<extension name="fsbus_park">\n\s+<condition field="destination_number" expression="\^\(\.\*\)\$">/);
  const actions = [...xml.matchAll(/<action application="([^"]+)"(?: data="([^"]*)")?\/>/g)].map((m) => `${m[1]}|${m[2] ?? ''}`);
  assert.deepEqual(actions, ['set|fsbus_park_node=n1', 'pre_answer|', 'set|fsbus_park_audio=%[playback_terminators=none]local_stream://moh', 'park|']);
  assert.match(NOT_FOUND_DOCUMENT, /<section name="result">\s*<result status="not found"\/>/);
});

void test('settings parsing refuses malformed state', () => {
  const err = (v: unknown): string => {
    const r = parseSettings(v);
    return typeof r === 'string' ? r : 'no error';
  };
  assert.deepEqual(parseSettings({}), DEFAULT_PARK_SETTINGS);
  assert.equal(parseSettings([]), 'not an object');
  assert.match(err({ enabled: 'yes' }), /enabled/);
  assert.match(err({ mode: 'loud' }), /mode/);
  assert.match(err({ music_class: 'a b' }), /music_class/);
  // A cause an older agent saved (it took any CAUSE-like name) loads as what FreeSWITCH made of it.
  assert.equal((parseSettings({ timeout_cause: 'NO_SUCH_CAUSE_X' }) as { timeout_cause: string }).timeout_cause, 'NORMAL_CLEARING');
  assert.equal((parseSettings({ timeout_cause: 'user_busy' }) as { timeout_cause: string }).timeout_cause, 'USER_BUSY');
  assert.match(err({ timeout_cause: 'bad cause' }), /cause/);
  assert.match(err({ timeout_seconds: 1.5 }), /seconds/);
  assert.match(err({ timeout_cause: 'x' }), /cause/);
});

void describe('state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-park-units-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('missing file → defaults; save then load round-trips; writes stay in order', async () => {
    const f = new ParkStateFile(join(dir, 'park.json'));
    assert.deepEqual(await f.load(), DEFAULT_PARK_SETTINGS);
    const a = settings({ mode: 'ringback' });
    const b = settings({ mode: 'music', music_class: 'x' });
    await Promise.all([f.save(a), f.save(b)]);
    assert.deepEqual(await f.load(), b);
  });

  void test('a malformed file is an error naming it', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{nope');
    await assert.rejects(new ParkStateFile(path).load(), /bad\.json is not JSON/);
    writeFileSync(path, JSON.stringify({ mode: 'loud' }));
    await assert.rejects(new ParkStateFile(path).load(), /bad\.json: mode/);
  });
});

void describe('dialplan endpoint', () => {
  const manager = new ParkManager({ nodeId: 'n1', http: { host: '127.0.0.1', port: 0, path: '/dialplan', user: 'fs', password: 'pw' }, logger: pino({ level: 'silent' }) });
  const auth = `Basic ${Buffer.from('fs:pw').toString('base64')}`;
  const post = (path: string, body: string, headers: Record<string, string> = { authorization: auth }) =>
    fetch(new URL(path, manager.url).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  before(() => manager.start());
  after(() => manager.stop());

  void test('basic auth, path and method', async () => {
    assert.equal((await post('/dialplan', 'section=dialplan', {})).status, 401);
    assert.equal((await post('/dialplan', 'section=dialplan', { authorization: `Basic ${Buffer.from('fs:no').toString('base64')}` })).status, 401);
    assert.equal((await post('/other', 'section=dialplan')).status, 404);
    assert.equal((await fetch(manager.url!, { method: 'PUT', headers: { authorization: auth } })).status, 405);
    const ok = await post('/dialplan', 'section=dialplan&Hunt-Context=default');
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/xml/);
    assert.equal(await ok.text(), NOT_FOUND_DOCUMENT, 'disabled → not found');
  });

  void test('enabled: park for the dialplan section only; context from Hunt-Context, else Caller-Context', async () => {
    await manager.update({ enabled: true });
    assert.match(await (await post('/dialplan', 'section=dialplan&Hunt-Context=sales')).text(), /<context name="sales">/);
    assert.match(await (await post('/dialplan', 'section=dialplan&Caller-Context=support')).text(), /<context name="support">/);
    assert.equal(await (await post('/dialplan', 'section=directory')).text(), NOT_FOUND_DOCUMENT);
    // Over the cap: refused (413), or the connection is cut while the body is still being sent.
    const big = await post('/dialplan', `section=dialplan&x=${'a'.repeat(2 * 1024 * 1024)}`).then(
      (r) => r.status,
      () => 'reset',
    );
    assert.ok(big === 413 || big === 'reset', String(big));
  });

  void test('no context, or one too long: "not found" (a document for another context would be used, not fallen back from)', async () => {
    assert.equal(await (await post('/dialplan', 'section=dialplan')).text(), NOT_FOUND_DOCUMENT, 'no context');
    assert.equal(await (await post('/dialplan', `section=dialplan&Hunt-Context=${'c'.repeat(128)}`)).text(), NOT_FOUND_DOCUMENT, 'context too long');
    assert.match(await (await post('/dialplan', `section=dialplan&Hunt-Context=${'c'.repeat(127)}`)).text(), new RegExp(`<context name="${'c'.repeat(127)}">`));
  });

  void test('routed again (uuid_transfer, transfer): "not found", the call goes to the static dialplan', async () => {
    assert.equal(await (await post('/dialplan', 'section=dialplan&Hunt-Context=default&variable_fsbus_park_node=n1')).text(), NOT_FOUND_DOCUMENT, 'marked');
    const xfer = encodeURIComponent('1700000000:u1:bl_xfer:1000/default/XML');
    assert.equal(await (await post('/dialplan', `section=dialplan&Hunt-Context=default&Hunt-Transfer-Source=${xfer}`)).text(), NOT_FOUND_DOCUMENT, 'transferred');
    assert.match(await (await post('/dialplan', 'section=dialplan&Hunt-Context=default&Hunt-Transfer-Source=')).text(), /<context name="default">/);
  });

  void test('mod_xml_curl with method GET: the form in the query string, same auth', async () => {
    const url = `${manager.url!}?section=dialplan&Hunt-Context=sales`;
    assert.equal((await fetch(url)).status, 401);
    const ok = await fetch(url, { headers: { authorization: auth } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /<context name="sales">/);
  });

  void test('calls_parked counts CHANNEL_PARK events carrying our marker, not lookups', () => {
    const before = manager.counters.calls_parked;
    const park = (uuid: string, marker?: string) => {
      const e = EslEvent.create('CHANNEL_PARK');
      e.addHeader('Unique-ID', uuid);
      if (marker !== undefined) e.addHeader('variable_fsbus_park_node', marker);
      return e;
    };
    manager.onEvent(park('u1', 'n1'));
    manager.onEvent(park('u2'));
    manager.onEvent(park('u3', 'other-node'));
    assert.equal(manager.counters.calls_parked, before + 1);
    assert.equal(manager.status()['parked_now'], 1);
    const destroy = EslEvent.create('CHANNEL_DESTROY');
    destroy.addHeader('Unique-ID', 'u1');
    manager.onEvent(destroy);
    assert.equal(manager.status()['parked_now'], 0);
    // Parked again after a transfer (a static extension that parks): not our park extension's.
    const again = park('u4', 'n1');
    again.addHeader('Caller-Transfer-Source', '1700000000:u4:bl_xfer:7001/default/XML');
    manager.onEvent(again);
    assert.equal(manager.counters.calls_parked, before + 1);
  });

  void test('a park with audio: the agent plays it on the parked channel (uuid_broadcast)', async () => {
    const sent: string[] = [];
    const m = new ParkManager({ nodeId: 'n1', logger: pino({ level: 'silent' }) });
    m.playAudioWith(async (command) => {
      sent.push(command);
      return '+OK Message sent\n';
    });
    const park = (uuid: string, audio: string | undefined, extra: Array<[string, string]> = []) => {
      const e = EslEvent.create('CHANNEL_PARK');
      e.addHeader('Unique-ID', uuid);
      e.addHeader('variable_fsbus_park_node', 'n1');
      if (audio !== undefined) e.addHeader('variable_fsbus_park_audio', audio);
      for (const [k, v] of extra) e.addHeader(k, v);
      return e;
    };
    m.onEvent(park('u1', '%[playback_terminators=none]local_stream://moh'));
    m.onEvent(park('u2', undefined));
    m.onEvent(park('u3', 'two words'));
    m.onEvent(park('u4', 'local_stream://moh', [['Caller-Transfer-Source', '1:u4:bl_xfer:7001/default/XML']]));
    assert.deepEqual(sent, ['uuid_broadcast u1 %[playback_terminators=none]local_stream://moh aleg']);
    assert.equal(m.counters.calls_parked, 3);
  });
});

void test('XmlCurlServer without auth on an IPv4 loopback reports its URL', async () => {
  const s = new XmlCurlServer({ host: '127.0.0.1', port: 0, path: '/x', lookup: () => 'doc', onServerError: () => undefined });
  assert.equal(s.url, undefined);
  await s.listen();
  try {
    assert.match(s.url!, /^http:\/\/127\.0\.0\.1:\d+\/x$/);
    assert.equal(await (await fetch(s.url!, { method: 'POST', body: '' })).text(), 'doc');
  } finally {
    await s.close();
  }
});
