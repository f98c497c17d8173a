/**
 * The SIP variables mod_sofia (FreeSWITCH 1.10.12) leaves on an outbound sofia/ or user/ leg as it
 * ends. The simulator's far end refuses with the SIP code mod_sofia's hangup_cause_to_sip gives
 * the scripted cause and a `Reason: Q.850` header carrying that cause (as a FreeSWITCH far end
 * sends), so the leg is hung up with the scripted cause itself.
 */
import { hangupCauseQ850 } from '@fsbus/esl';
import type { Channel } from './channel.js';

/** mod_sofia.c hangup_cause_to_sip; any other cause is 480. */
const SIP_CODE: Readonly<Record<string, number>> = {
  UNALLOCATED_NUMBER: 404, NO_ROUTE_TRANSIT_NET: 404, NO_ROUTE_DESTINATION: 404,
  USER_BUSY: 486, NO_USER_RESPONSE: 408, NO_ANSWER: 480, SUBSCRIBER_ABSENT: 480, CALL_REJECTED: 603,
  NUMBER_CHANGED: 410, REDIRECTION_TO_NEW_DESTINATION: 410, DESTINATION_OUT_OF_ORDER: 502, INVALID_PROFILE: 502,
  INVALID_NUMBER_FORMAT: 484, INVALID_URL: 484, INVALID_GATEWAY: 484, FACILITY_REJECTED: 501, NORMAL_UNSPECIFIED: 480,
  REQUESTED_CHAN_UNAVAIL: 503, NORMAL_CIRCUIT_CONGESTION: 503, NETWORK_OUT_OF_ORDER: 503, NORMAL_TEMPORARY_FAILURE: 503,
  SWITCH_CONGESTION: 503, GATEWAY_DOWN: 503, OUTGOING_CALL_BARRED: 403, INCOMING_CALL_BARRED: 403,
  BEARERCAPABILITY_NOTAUTH: 403, BEARERCAPABILITY_NOTAVAIL: 503, BEARERCAPABILITY_NOTIMPL: 488, INCOMPATIBLE_DESTINATION: 488,
  FACILITY_NOT_IMPLEMENTED: 501, SERVICE_NOT_IMPLEMENTED: 501, RECOVERY_ON_TIMER_EXPIRE: 504, ORIGINATOR_CANCEL: 487,
  EXCHANGE_ROUTING_ERROR: 483, BUSY_EVERYWHERE: 600, DECLINE: 603, REJECT_ALL: 603, DOES_NOT_EXIST_ANYWHERE: 604,
  NOT_ACCEPTABLE: 606, UNWANTED: 607, NO_IDENTITY: 428, BAD_IDENTITY_INFO: 429, UNSUPPORTED_CERTIFICATE: 437,
  INVALID_IDENTITY: 438, STALE_DATE: 403,
};

/** sofia-sip's sip_status_phrase for the codes above ("" for those it does not know). */
const PHRASE: Readonly<Record<number, string>> = {
  403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 410: 'Gone', 480: 'Temporarily Unavailable',
  483: 'Too Many Hops', 484: 'Address Incomplete', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Time-out', 600: 'Busy Everywhere',
  603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable', 607: 'Unwanted',
};

export function sipCodeOfCause(cause: string): number {
  return SIP_CODE[cause] ?? 480;
}

/**
 * The far end refuses the INVITE with the SIP code of `cause`: sofia_handle_sip_r_invite
 * (recv_refuse, sip_invite_failure_* on the leg and on its partner), then
 * nua_callstate_terminated (sip_term_status, proto_specific_hangup_cause, the partner's
 * sip_hangup_phrase, sip_term_cause) — all before the hangup. The dialog is over (TFLAG_BYE):
 * sofia_on_hangup then sends nothing and sets nothing.
 */
export function refuseInvite(ch: Channel, cause: string, partner: Channel | undefined): void {
  const status = String(sipCodeOfCause(cause));
  const phrase = PHRASE[Number(status)] ?? '';
  const other = partner?.isHungUp === false ? partner : undefined;
  ch.setVar('sip_hangup_disposition', 'recv_refuse');
  ch.setVar('sip_invite_failure_status', status);
  ch.setVar('sip_invite_failure_phrase', phrase);
  other?.setVar('sip_invite_failure_status', status);
  other?.setVar('sip_invite_failure_phrase', phrase);
  ch.setVar('sip_term_status', status);
  ch.setVar('proto_specific_hangup_cause', `sip:${status}`);
  other?.setVar('sip_hangup_phrase', phrase);
  ch.setVar('sip_term_cause', String(hangupCauseQ850(cause)));
  ch.endpointOnHangup = undefined;
}

/**
 * sofia_on_hangup (CS_HANGUP, so after CHANNEL_HANGUP and before CHANNEL_HANGUP_COMPLETE) when we
 * end the dialog: a BYE once answered, else a CANCEL of the outbound INVITE.
 */
export function sofiaOnHangup(ch: Channel): void {
  if (ch.profile !== undefined && ch.profile.answered !== 0) {
    ch.setVar('sip_hangup_disposition', 'send_bye');
    return;
  }
  ch.setVar('sip_hangup_disposition', 'send_cancel');
  ch.setVar('sip_invite_failure_status', '487');
  ch.setVar('sip_invite_failure_phrase', 'CANCEL');
}
