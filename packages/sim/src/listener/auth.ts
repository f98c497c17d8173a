/**
 * `auth <password>` and `userauth <user>@<domain>:<password>` as mod_event_socket answers them,
 * plus its check of api verbs against a user's esl-allowed-api (auth_api_command).
 */
import { eventWords } from '@fsbus/esl';
import type { SessionState } from './session-state.js';
import type { EslUser } from './types.js';

export interface AuthOutcome {
  readonly text: string;
  readonly extra: ReadonlyArray<readonly [string, string]>;
}

const INVALID: AuthOutcome = { text: '-ERR invalid', extra: [] };

export function checkPassword(state: SessionState, given: string, password: string, refuse: boolean): AuthOutcome {
  if (!refuse && given === password) {
    state.authed = true;
    return { text: '+OK accepted', extra: [] };
  }
  state.running = false;
  return INVALID;
}

export function checkUser(state: SessionState, spec: string, users: readonly EslUser[], refuse: boolean): AuthOutcome {
  state.allowLog = false;
  let user = spec;
  let domain: string | undefined;
  let pass: string | undefined;
  const at = user.indexOf('@');
  if (at >= 0) {
    domain = user.slice(at + 1);
    user = user.slice(0, at);
    const colon = domain.indexOf(':');
    if (colon >= 0) {
      pass = domain.slice(colon + 1);
      domain = domain.slice(0, colon);
    }
  }
  const colon = user.indexOf(':');
  if (colon >= 0) {
    pass = user.slice(colon + 1);
    user = user.slice(0, colon);
  }
  const found = users.find((u) => u.user === user && u.domain === domain);
  if (refuse || !user || !domain || !found || !pass || found.password !== pass) {
    state.running = false;
    return INVALID;
  }
  state.authed = true;
  const allowLog = found.allowedLog ?? true;
  state.allowLog = allowLog;
  if (found.allowedEvents) {
    const names = new Set<string>();
    const subclasses = new Set<string>();
    // Read as an event command's words: every word after CUSTOM a subclass.
    for (const { name, subclass } of eventWords(found.allowedEvents)) {
      if (name === undefined) subclasses.add(subclass);
      else names.add(name);
    }
    state.allowedEvents = { names, subclasses, all: names.has('ALL') };
  }
  if (found.allowedApi) state.allowedApi = new Set(found.allowedApi);
  return {
    text: '+OK accepted',
    extra: [
      ['Allowed-Events', found.allowedEvents ? found.allowedEvents.join(',') : 'all'],
      ['Allowed-API', found.allowedApi ? found.allowedApi.join(',') : 'all'],
      ['Allowed-LOG', allowLog ? 'true' : 'false'],
    ],
  };
}

// Verbs whose argument is itself a command, checked too (FreeSWITCH's "sneaky commands").
const WRAPPERS = new Set(['bgapi', 'sched_api', 'eval', 'expand', 'xml_wrap']);

export function apiAllowed(allowed: ReadonlySet<string> | undefined, command: string, args: string | undefined): boolean {
  if (allowed === undefined) return true;
  let verb = command;
  let rest = args ?? '';
  for (;;) {
    if (!allowed.has(verb)) return false;
    if (!WRAPPERS.has(verb.toLowerCase()) || rest === '') return true;
    const space = rest.indexOf(' ');
    verb = space < 0 ? rest : rest.slice(0, space);
    rest = space < 0 ? '' : rest.slice(space + 1);
  }
}
