// The `broker status` line of a lost broker says why, as far as the driver knows: an operator
// reading it during an incident must not have to guess. Real nats-server, stopped while connected.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { waitStatus } from './conformance/helpers.js';

let nats: NatsServerHandle;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats.stop());

void test('nats: the "reconnecting" broker status line carries the reason the connection went', { timeout: 60_000 }, async (t) => {
  const lines: Array<{ msg: string | undefined; fields: Record<string, unknown> }> = [];
  const add = (fields: object, msg?: string): void => void lines.push({ msg, fields: { ...fields } });
  const logger: DriverLogger = { debug: add, info: add, warn: add, error: add };
  const driver = await createDriver('nats', { urls: [nats.url], name: 'agent', logger });
  t.after(() => driver.close());
  await driver.connect();
  await nats.halt();
  await waitStatus(driver, 'reconnecting');
  const reconnecting = lines.filter((l) => l.msg === 'broker status' && l.fields['status'] === 'reconnecting');
  assert.equal(reconnecting.length, 1, JSON.stringify(lines));
  const reason = reconnecting[0]!.fields['reason'];
  assert.ok(typeof reason === 'string' && /closed/.test(reason), `reason: ${String(reason)}`);
  const connected = lines.filter((l) => l.msg === 'broker status' && l.fields['status'] === 'connected');
  assert.equal(connected[0]?.fields['reason'], undefined, 'a connection that is up has no reason line');
});
