// Bounds and messages of CLI options: `demo --duration` past what a timer can wait is a usage
// error (it would stop at once), `web` names its own flag (--insecure), and the status table
// does not crash on a status without broker/esl.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { AgentStatus } from '@fsbus/client';
import { runMain as run } from './support/run-main.js';
import { statusTable } from '../src/bus/format.js';

test('fsbus demo --duration past 2147483 s (what a timer can wait) is a usage error', async () => {
  const r = await run(['demo', '--duration', '3000000']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /--duration must be a positive number of seconds, at most 2147483/);
  assert.equal((await run(['demo', '--duration', '0'])).code, 2);
});

test('fsbus web --host 0.0.0.0 without auth names the --insecure flag, not the API option', async () => {
  const open = await run(['web', '--port', '0', '--host', '0.0.0.0', '--server', 'nats://127.0.0.1:1']);
  assert.equal(open.code, 1);
  assert.match(open.err, /FSBUS_ERR_WEB_INSECURE_BIND/);
  assert.match(open.err, /\(or --insecure\)/);
  assert.doesNotMatch(open.err, /allowInsecure/);
});

test('statusTable: a status without broker/esl/counters prints ? instead of crashing', () => {
  const partial = { node_id: 'n1', version: '0.1.0', uptime: 5, driver: 'nats' } as unknown as AgentStatus;
  const text = statusTable([partial]);
  assert.match(text, /^n1\s+0\.1\.0\s+5s\s+nats\s+\?\s+\?\s+\?\s+\?\s+0\/0\s+0\/0$/m);
});
