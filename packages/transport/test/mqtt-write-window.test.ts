// The write-window cases (support/write-window.ts) on MQTT: the window is bufferBytes, at least
// 1 MiB, settled by each QoS 1 PUBLISH's PUBACK. When the link breaks, mqtt.js sends its
// unacknowledged publishes again on the reconnect, ahead of what the driver held: everything
// written into the link and everything held arrives, in publish order.
import { startMosquitto } from '@fsbus/testkit';
import { range, writeWindowCases } from './support/write-window.js';

writeWindowCases({
  driver: 'mqtt',
  startBroker: () => startMosquitto(),
  window: 1024 * 1024,
  size: 1024,
  hung: { count: 4096, bufferBytes: 256 * 1024, afterBreak: ({ sent, held, count }) => ({ items: [...range(0, sent), ...range(count - held, count)], dropped: count - sent - held }) },
  stalled: { count: 1536, bufferBytes: 1024 * 1024 },
});
