import { FsbusError } from '@fsbus/esl';

export const TransportErrorCode = {
  /** No broker of the URL list could be reached (or it refused the credentials). */
  CONNECT: 'FSBUS_ERR_TRANSPORT_CONNECT',
  /** The driver is closed. */
  CLOSED: 'FSBUS_ERR_TRANSPORT_CLOSED',
  /** The broker is away (the driver reconnects): `flush()` cannot vouch for what waits in the outbox. */
  DISCONNECTED: 'FSBUS_ERR_TRANSPORT_DISCONNECTED',
  /** A request got no reply within its timeout. */
  TIMEOUT: 'FSBUS_ERR_TRANSPORT_TIMEOUT',
  /** Nobody serves the subject a request was sent to. */
  NO_RESPONDERS: 'FSBUS_ERR_TRANSPORT_NO_RESPONDERS',
  /** A request was cancelled by its AbortSignal. */
  ABORTED: 'FSBUS_ERR_TRANSPORT_ABORTED',
  /** `loadDriver` was given a name no driver answers to. */
  UNKNOWN_DRIVER: 'FSBUS_ERR_TRANSPORT_UNKNOWN_DRIVER',
  /** The driver or its broker cannot do this (e.g. durable streams without JetStream). */
  UNSUPPORTED: 'FSBUS_ERR_TRANSPORT_UNSUPPORTED',
  /** The broker refused an operation (permissions, bad stream config, …). */
  BROKER: 'FSBUS_ERR_TRANSPORT_BROKER',
  /** An option given to the driver is unusable (a TLS file that does not exist or cannot be read). */
  INVALID_OPTION: 'FSBUS_ERR_TRANSPORT_INVALID_OPTION',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

export class TransportError extends FsbusError {
  declare readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
