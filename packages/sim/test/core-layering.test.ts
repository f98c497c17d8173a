/**
 * The core is the simulated FreeSWITCH and knows nothing of the wire: nothing under src/core
 * imports the listener, control or outbound layers (errors it throws come from src/errors.ts).
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { SimConfigError, SimCore } from '../src/index.js';

const CORE = fileURLToPath(new URL('../src/core/', import.meta.url));

void it('no module under src/core imports listener/, control/ or outbound/', () => {
  const leaks: string[] = [];
  for (const file of readdirSync(CORE).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(join(CORE, file), 'utf8').matchAll(/from '(\.\.\/(?:listener|control|outbound)\/[^']*)'/g)) leaks.push(`${file}: ${m[1]}`);
  }
  assert.deepEqual(leaks, []);
});

void it('placeInboundCall still throws the public SimConfigError (FSBUS_ERR_SIM_CONFIG)', async () => {
  const core = new SimCore();
  core.start();
  assert.throws(() => core.control.placeInboundCall({ to: '' }), (err: unknown) => err instanceof SimConfigError && err.code === 'FSBUS_ERR_SIM_CONFIG');
  await core.stop();
});
