// The write-window cases (support/write-window.ts) on MQTT: the window is bufferBytes, at least
// 1 MiB, settled by each QoS 1 PUBLISH's PUBACK. When the link breaks, mqtt.js sends its
// unacknowledged publishes again on the reconnect, ahead of what the driver held: everything
// written into the link and everything held arrives, in publish order.
import { startMosquitto } from '@fsbus/testkit';
import { resentOnReconnect, writeWindowCases } from './support/write-window.js';

writeWindowCases(resentOnReconnect('mqtt', () => startMosquitto()));
