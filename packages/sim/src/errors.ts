/**
 * Errors of the simulator, with stable codes (listed in docs/errors.md). Here, not under listener/,
 * so the core (placeInboundCall's bad input) can throw them without importing the wire layer.
 */
import { FsbusError } from '@fsbus/esl';

export const SimErrorCode = {
  /** A simulator option is invalid (bad ACL entry, bad `host:port`, bad port). */
  CONFIG: 'FSBUS_ERR_SIM_CONFIG',
  /** The simulator could not listen on its Event Socket or control port. */
  LISTEN: 'FSBUS_ERR_SIM_LISTEN',
  /** The outbound `socket` application could not reach its ESL server. */
  OUTBOUND_CONNECT: 'FSBUS_ERR_SIM_OUTBOUND_CONNECT',
  /** A control API request failed inside the simulator (the HTTP reply carries the message). */
  CONTROL: 'FSBUS_ERR_SIM_CONTROL',
} as const;
export type SimErrorCode = (typeof SimErrorCode)[keyof typeof SimErrorCode];

/** @deprecated use SimErrorCode (the name is from when these errors lived in the wire layer). */
export const SimWireErrorCode = SimErrorCode;
/** @deprecated use SimErrorCode. */
export type SimWireErrorCode = SimErrorCode;

export class SimConfigError extends FsbusError {
  constructor(message: string) {
    super(SimErrorCode.CONFIG, message);
  }
}

export class SimListenError extends FsbusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(SimErrorCode.LISTEN, message, options);
  }
}

export class SimOutboundConnectError extends FsbusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(SimErrorCode.OUTBOUND_CONNECT, message, options);
  }
}
