/** A complete agent.status `data` for a node, as an agent answers it (tests of what readers make of replies). */
export const fullStatus = (nodeId: string): Record<string, unknown> => ({
  version: '0.1.0',
  node_id: nodeId,
  uptime: 3,
  driver: 'nats',
  connected: true,
  broker: { status: 'connected', reconnects: 0, buffered_now: 0 },
  esl: { status: 'ready', command_connections_ready: 1, reconnects: 0 },
  counters: {},
  park: {},
});
