/** The ConfigError `fn` throws (a config refused at load); fails the test when it is accepted or throws something else. */
import { strict as assert } from 'node:assert';
import { ConfigError } from '../../src/errors.js';

export function configRefusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('accepted');
}
