// `npx fsbus agent` put npm and a shell in front of the agent; a SIGTERM to npm's pid (what a
// supervisor other than systemd, or a script's `kill $!`, sends) ended both and left the agent
// running, orphaned and serving. The docs said npx passes signals on. The agent now says so at
// start when npm exec runs it (npm sets npm_command=exec for npx and npm exec).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { npmExecWarning } from '../src/config/npm-exec.js';

void test('an agent started by npx (npm_command=exec) is warned about signals; otherwise nothing', () => {
  assert.match(npmExecWarning({ npm_command: 'exec' }) ?? '', /^started through npx \(npm exec\): a SIGTERM sent to npm alone does not reach this agent/);
  assert.equal(npmExecWarning({}), undefined);
  assert.equal(npmExecWarning({ npm_command: 'run-script' }), undefined);
});
