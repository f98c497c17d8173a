// The simulator's error codes are SimErrorCode (they no longer live in the wire layer); the old
// name SimWireErrorCode stays exported, deprecated, as the same object, so users do not break.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as sim from '../src/index.js';

void test('SimErrorCode holds the FSBUS_ERR_SIM_* codes; SimWireErrorCode is its deprecated alias', () => {
  const { SimErrorCode, SimWireErrorCode } = sim as Record<string, unknown> as { SimErrorCode?: Record<string, string>; SimWireErrorCode?: unknown };
  assert.deepEqual(SimErrorCode, { CONFIG: 'FSBUS_ERR_SIM_CONFIG', LISTEN: 'FSBUS_ERR_SIM_LISTEN', OUTBOUND_CONNECT: 'FSBUS_ERR_SIM_OUTBOUND_CONNECT', CONTROL: 'FSBUS_ERR_SIM_CONTROL' });
  assert.equal(SimWireErrorCode, SimErrorCode);
  assert.equal(new sim.SimConfigError('x').code, 'FSBUS_ERR_SIM_CONFIG');
});
