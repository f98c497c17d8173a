/** The one answer for a channel that is gone, so call-control commands code it alike. */
import { BusErrorCode } from '@fsbus/contract';
import type { CommandResult } from './registry.js';

/** FreeSWITCH has no channel `uuid`: FSBUS_ERR_BUS_SESSION_NOT_FOUND, `data` = `{uuid}`, in the command's own words. */
export const sessionNotFound = (message: string, uuid: string): CommandResult => ({ ok: false, code: BusErrorCode.SESSION_NOT_FOUND, message, data: { uuid } });
