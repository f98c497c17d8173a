// The dashboard as a broker user allowed to subscribe only to its own inbox namespace (and the
// events): with BusOptions.inboxPrefix its status poll hears the nodes; without it the poll's
// gather subscribes where the user may not, and no node ever answers it.
// Real nats-server with per-user permissions, real agent, simulated FreeSWITCH.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startWeb, type WebServer } from '@fsbus/web';
import { startNodeWithUsers, type UsersNode } from '../../client/test/support/nats-users.js';
import { dashboardUntil } from './support/wiring.js';

const DASH = {
  user: 'dash',
  password: 'dash-pw',
  publish: ['freeswitch.broadcast', 'freeswitch.api', 'freeswitch.node.*'],
  subscribe: ['_INBOX_dash.>', 'freeswitch.events.>'],
};

void describe('fsbus web: a dashboard user with an inbox namespace of its own', () => {
  let node: UsersNode;
  let web: WebServer | undefined;
  const open = async (inboxPrefix?: string): Promise<WebServer> => {
    const bus = { servers: [node.url], auth: { user: DASH.user, password: DASH.password }, ...(inboxPrefix === undefined ? {} : { inboxPrefix }) };
    web = await startWeb({ port: 0, bus, pollIntervalMs: 500, gatherTimeoutMs: 300 });
    await web.busReady;
    return web;
  };
  before(async () => {
    node = await startNodeWithUsers([DASH]);
  });
  after(async () => {
    await node?.stop();
  });

  test('with inboxPrefix the status poll shows the node', async () => {
    const { dashboard } = await open('_INBOX_dash');
    try {
      await dashboardUntil(dashboard, () => dashboard.snapshot().nodes.some((n) => n.node_id === 'node-1' && n.presence === 'online'), 'node-1 online on the page');
    } finally {
      await web?.close();
    }
  });

  test('without it the poll hears no node: its replies may not reach the user', async () => {
    const { dashboard } = await open();
    try {
      // What each poll does, awaited: the gather ends at its timeout with nothing.
      assert.deepEqual(await dashboard.bus.gather('agent.status', 1000), []);
      assert.deepEqual(dashboard.snapshot().nodes, []);
    } finally {
      await web?.close();
    }
  });
});
