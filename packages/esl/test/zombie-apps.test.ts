import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { runsOnHungUpChannel } from '../src/zombie-apps.js';

void test('a zombie_exec application is found in any case, as FreeSWITCH finds applications', () => {
  assert.equal(runsOnHungUpChannel('set'), true);
  assert.equal(runsOnHungUpChannel('LOG'), true);
  assert.equal(runsOnHungUpChannel('Set_Global'), true);
  assert.equal(runsOnHungUpChannel('playback'), false);
});
