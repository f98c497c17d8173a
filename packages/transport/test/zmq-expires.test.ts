// ZeroMQ: a request's `fsbus-expires` header is the requester's deadline in epoch milliseconds. A
// client in another language that wrote seconds had every request skipped as late (only a `late_ms`
// log line on the agent's side), and one that wrote text ("soon") or 0 had it run with no deadline.
// An agent refuses an `fsbus-expires` that is not a finite number ≥ 1e12 (a value in seconds is
// below it), as on Redis: not run, the requester gets a REP with FSBUS_ERR_BUS_INVALID_ARGUMENT and
// its correlation id, and the refusal is counted and logged. A JSON number is read as its string.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort } from '@fsbus/testkit';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { REFUSED_EXPIRES_LOG } from '../src/drivers/zmq/zmq-server.js';
import { dec, enc, within } from './conformance/helpers.js';

void test('zmq: an fsbus-expires in seconds or not a number is refused with INVALID_ARGUMENT in the REP, not run; epoch ms, empty, null or absent run', async (t) => {
  const commands = await freePort();
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const nop = () => undefined;
  const logger: DriverLogger = { debug: nop, info: nop, error: nop, warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg }) };
  const agent = await createDriver('zmq', { urls: [`zmq://127.0.0.1:${commands}?events=${await freePort()}`], name: 'agent', logger });
  t.after(() => agent.close());
  await agent.connect();
  const ran: string[] = [];
  agent.serve({ subject: 'zex.api', competing: true }, (req) => {
    ran.push((JSON.parse(dec(req.data)) as { correlation_id: string }).correlation_id);
    return enc('{"success":true}');
  });
  await agent.flush();

  const { Dealer } = await import('zeromq');
  const dealer = new Dealer({ linger: 0 });
  t.after(() => dealer.close());
  dealer.connect(`tcp://127.0.0.1:${commands}`);
  /** A request as a client in another language sends it (docs/drivers/zmq.md, "The wire"): `headers` as its JSON. */
  const send = (id: string, headers: string, kind = 'REQ') =>
    dealer.send([Buffer.from('FSB1'), Buffer.from(kind), Buffer.from('zex.api'), Buffer.from(id), Buffer.from(headers), Buffer.from(`{"command":"status","correlation_id":"body-${id}"}`)]);
  const nowMs = Date.now();
  const seconds = Math.floor(nowMs / 1000) + 60;
  await send('seconds', JSON.stringify({ 'fsbus-expires': String(seconds) }));
  await send('seconds-number', JSON.stringify({ 'fsbus-expires': seconds }));
  await send('text', JSON.stringify({ 'fsbus-expires': 'soon' }));
  await send('zero', JSON.stringify({ 'fsbus-expires': '0' }));
  await send('ms', JSON.stringify({ 'fsbus-expires': String(nowMs + 60_000) }));
  await send('ms-number', JSON.stringify({ 'fsbus-expires': nowMs + 60_000 }));
  await send('empty', JSON.stringify({ 'fsbus-expires': '' }));
  await send('null', JSON.stringify({ 'fsbus-expires': null }));
  await send('absent', '');
  await send('one', JSON.stringify({ 'fsbus-expires': 'soon' }), 'ONE');
  // The ROUTER reads in order and answers each at once: once this one's REP is back, every one above was handled.
  await send('last', '');
  const replies = new Map<string, { kind: string; body: Record<string, unknown> }>();
  for (;;) {
    const [, kind, , corr, , payload] = await within(dealer.receive(), 10_000, 'the replies, up to the last request');
    replies.set(corr!.toString(), { kind: kind!.toString(), body: JSON.parse(dec(payload!)) as Record<string, unknown> });
    if (corr!.toString() === 'last') break;
  }
  assert.deepEqual(ran, ['body-ms', 'body-ms-number', 'body-empty', 'body-null', 'body-absent', 'body-last'], 'only epoch ms (or no deadline) ran');
  for (const [id, shown] of [['seconds', String(seconds)], ['seconds-number', String(seconds)], ['text', 'soon'], ['zero', '0']] as const) {
    const reply = replies.get(id);
    assert.equal(reply?.kind, 'REP', `${id}: a reply, with the request's correlation id`);
    assert.equal(reply.body['success'], false, id);
    assert.equal(reply.body['code'], 'FSBUS_ERR_BUS_INVALID_ARGUMENT', id);
    assert.equal(reply.body['message'], `expires must be epoch milliseconds (a number ≥ 1000000000000, e.g. Date.now() + 5000), not seconds: got ${JSON.stringify(shown)}`, id);
    assert.equal(reply.body['correlation_id'], `body-${id}`, `${id}: the body's correlation_id echoed, as every refusal does`);
  }
  for (const id of ['ms', 'ms-number', 'empty', 'null', 'absent']) assert.equal(replies.get(id)?.body['success'], true, id);
  assert.equal(replies.has('one'), false, 'a ONE gets nothing');
  assert.equal(agent.stats().requestsRefused, 5, 'counted, the fire-and-forget one too');
  assert.equal(agent.stats().expired, 0, 'none taken for late');
  const logged = warnings.filter((w) => w.msg === REFUSED_EXPIRES_LOG);
  assert.equal(logged.length, 1, 'once per burst');
  assert.deepEqual(logged[0]!.fields, { subject: 'zex.api', expires: String(seconds) });
});
