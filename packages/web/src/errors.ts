import { FsbusError } from '@fsbus/esl';

export const WebErrorCode = {
  /** The dashboard would listen on a non-loopback address without basic auth or a token. */
  INSECURE_BIND: 'FSBUS_ERR_WEB_INSECURE_BIND',
  /** The HTTP server could not listen (address in use, permission). */
  LISTEN: 'FSBUS_ERR_WEB_LISTEN',
  /** The single-page app could not be built or its static files are missing. */
  ASSETS: 'FSBUS_ERR_WEB_ASSETS',
  /** The page sent a command the dashboard does not forward (bad JSON, unknown command). */
  BAD_REQUEST: 'FSBUS_ERR_WEB_BAD_REQUEST',
  /** An originate from the page while the dashboard's cap of ringing originates is reached: nothing sent. */
  BUSY: 'FSBUS_ERR_WEB_BUSY',
} as const;
export type WebErrorCode = (typeof WebErrorCode)[keyof typeof WebErrorCode];

export class WebError extends FsbusError {
  declare readonly code: WebErrorCode;
  constructor(code: WebErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
