/**
 * mod_commands' call-control APIs: uuid_answer, uuid_pre_answer, uuid_park and uuid_transfer
 * (with `-bleg` / `-both`), with FreeSWITCH 1.10.12's replies and the events they cause.
 */
import type { ApiHandler, ApiHost } from './api.js';
import type { Channel } from './channel.js';
import { bridgePartner } from './channel.js';
import { transferBoth } from './bridge-end.js';
import type { CallSite } from './constants.js';
import { LOG_SITES } from './log-sites.js';
import { switchSeparateString } from './separate-string.js';

const UUID_ANSWER_SITE: CallSite = { file: 'mod_commands.c', func: 'uuid_answer_function', line: 3863 };

/** switch_channel_answer: an outbound leg is left as it is; a loopback b-leg answers its a-leg first (mod_loopback). */
function answerChannel(host: ApiHost, ch: Channel): void {
  if (ch.direction === 'outbound') return;
  const e = host.engine;
  const partner = ch.loopbackPartner;
  if (partner !== undefined && partner.answerState !== 'answered') e.markAnswered(partner, LOG_SITES.ANSWER_LOOPBACK_PEER);
  e.markAnswered(ch, UUID_ANSWER_SITE);
}

const TRANSFER_USAGE = '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n';

/**
 * transfer_function: a second word starting `-` is an option: `-bleg` transfers the bridged leg
 * instead, `-both` transfers the bridged leg first, then the named one, to the same extension
 * (each with its own dialplan and context unless given). Without a bridged leg, or with any other
 * option, the named leg alone. A transfer ends the bridge: the leg left behind follows its
 * after-bridge rules (Executor.transfer).
 */
const uuidTransfer: ApiHandler = (host, args) => {
  const argv = args === '' ? [] : switchSeparateString(args, ' ', 5);
  if (argv.length < 2) return TRANSFER_USAGE;
  const ch = host.engine.locate(argv[0]);
  if (argv[0] === '' || ch === undefined) return '-ERR No such channel!\n';
  const option = argv[1]!.startsWith('-') ? argv[1]!.slice(1).toLowerCase() : undefined;
  const [dest, dp, ctx] = option === undefined ? argv.slice(1, 4) : argv.slice(2, 5);
  const partner = option === undefined ? undefined : bridgePartner(ch);
  if (option === 'both' && partner !== undefined) transferBoth(host.executor, ch, partner, dest, dp, ctx);
  else host.executor.transfer(option === 'bleg' && partner !== undefined ? partner : ch, dest, dp, ctx);
  return '+OK\n';
};

export const CALL_APIS: ReadonlyMap<string, ApiHandler> = new Map<string, ApiHandler>([
  ['uuid_answer', (host, args) => {
    const ch = host.engine.locate(args);
    if (ch === undefined) return '-ERROR\n';
    answerChannel(host, ch);
    return '+OK\n';
  }],
  ['uuid_pre_answer', (host, args) => {
    const ch = host.engine.locate(args);
    if (ch === undefined) return '-ERROR\n';
    host.engine.preAnswer(ch);
    return '+OK\n';
  }],
  ['uuid_park', (host, args) => {
    if (args === '') return '-USAGE: <uuid>\n';
    const ch = host.engine.locate(args);
    if (ch === undefined) return '-ERR No such channel!\n';
    // switch_ivr_park_session: no application, so no CHANNEL_EXECUTE (CHANNEL_STATE CS_PARK, CHANNEL_PARK).
    host.executor.parkSession(ch);
    return '+OK\n';
  }],
  ['uuid_transfer', uuidTransfer],
]);
