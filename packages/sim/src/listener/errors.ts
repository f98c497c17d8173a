/**
 * The simulator's errors, re-exported where the wire layer has always imported them from
 * (they live in ../errors.ts, which the core can import too).
 */
export { SimErrorCode, SimConfigError, SimListenError, SimOutboundConnectError } from '../errors.js';
