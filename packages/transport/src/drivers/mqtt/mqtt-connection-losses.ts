/**
 * Why connections the broker had accepted ended, said as one warning per burst. A broker that
 * closes the connection for something the client sent (MQTT 5 DISCONNECT with a reason code:
 * protocol error, packet too large, session taken over…) raises no mqtt.js 'error': without this
 * the driver only went 'reconnecting', and a broker closing it again and again went unseen.
 */
import type { IDisconnectPacket } from 'mqtt';
import { LogThrottle } from '@fsbus/esl';
import type { DriverLogger } from '../../driver.js';

export const CONNECTION_CLOSED_LOG = 'mqtt: the connection the broker had accepted was closed; reconnecting';

/** The MQTT 5 DISCONNECT reason codes a server sends (§3.14.2.1). */
const DISCONNECT_REASONS: Readonly<Record<number, string>> = {
  0x00: 'Normal disconnection',
  0x80: 'Unspecified error',
  0x81: 'Malformed Packet',
  0x82: 'Protocol Error',
  0x83: 'Implementation specific error',
  0x87: 'Not authorized',
  0x89: 'Server busy',
  0x8b: 'Server shutting down',
  0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over',
  0x8f: 'Topic Filter invalid',
  0x90: 'Topic Name invalid',
  0x93: 'Receive Maximum exceeded',
  0x94: 'Topic Alias invalid',
  0x95: 'Packet too large',
  0x96: 'Message rate too high',
  0x97: 'Quota exceeded',
  0x98: 'Administrative action',
  0x99: 'Payload format invalid',
  0x9a: 'Retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'Use another server',
  0x9d: 'Server moved',
  0x9e: 'Shared Subscriptions not supported',
  0x9f: 'Connection rate exceeded',
  0xa0: 'Maximum connect time',
  0xa1: 'Subscription Identifiers not supported',
  0xa2: 'Wildcard Subscriptions not supported',
};

export class ConnectionLosses {
  readonly #log: LogThrottle;
  /** The broker accepted the current connection (its CONNACK said success). */
  #accepted = false;
  #disconnect: IDisconnectPacket | undefined;
  #error: Error | undefined;

  constructor(logger: DriverLogger | undefined) {
    this.#log = new LogThrottle((fields, msg) => logger?.warn(fields, msg), CONNECTION_CLOSED_LOG);
  }

  /** A CONNACK accepting the connection: what follows is about this one. */
  accepted(): void {
    this.#accepted = true;
    this.#disconnect = undefined;
    this.#error = undefined;
  }

  /** The broker's DISCONNECT: its reason is the one said when the connection closes. */
  disconnected(packet: IDisconnectPacket): void {
    this.#disconnect = packet;
  }

  /** A socket error (reset, timeout): the reason when the broker sent no DISCONNECT. */
  failed(err: Error): void {
    this.#error ??= err;
  }

  /** The connection to `server` closed: a warning (once per burst) when the broker had accepted it. */
  closed(server: string): void {
    if (this.#accepted) this.#log.hit({ server, ...this.#reason() });
    this.#accepted = false;
    this.#disconnect = undefined;
    this.#error = undefined;
  }

  /** Writes what the current burst held back (the driver is closing). */
  flush(): void {
    this.#log.flush();
  }

  #reason(): Record<string, unknown> {
    const d = this.#disconnect;
    if (d !== undefined) {
      const code = d.reasonCode ?? 0;
      const why = d.properties?.reasonString;
      return { reason_code: code, reason: DISCONNECT_REASONS[code] ?? 'unknown reason code', ...(why === undefined ? {} : { reason_string: why }) };
    }
    return { reason: this.#error === undefined ? 'closed without a DISCONNECT' : this.#error.message };
  }
}
