/**
 * A static dialplan in the shape of FreeSWITCH's XML dialplan: contexts of extensions whose
 * conditions test a field (default destination_number) against a regex, with actions.
 */
import type { Channel } from './channel.js';

export interface DialplanAction {
  readonly application: string;
  readonly data?: string;
}

export interface DialplanCondition {
  /** `destination_number` (default), `caller_id_number`, `caller_id_name`, `context`, `ani`, or `${var}`. */
  readonly field?: string;
  /** A JavaScript-compatible regular expression (FreeSWITCH uses PCRE). */
  readonly expression?: string;
  readonly actions: readonly DialplanAction[];
  readonly antiActions?: readonly DialplanAction[];
}

export interface DialplanExtension {
  readonly name: string;
  readonly conditions: readonly DialplanCondition[];
  /** `continue="true"`: keep looking at the next extensions after a match. */
  readonly continue?: boolean;
}

/** Extensions by context name. */
export type StaticDialplan = Readonly<Record<string, readonly DialplanExtension[]>>;

const ext = (name: string, number: string, actions: DialplanAction[]): DialplanExtension => ({
  name,
  conditions: [{ field: 'destination_number', expression: `^${number}$`, actions }],
});

/** The fixture scenario's extensions (7001–7006) plus a few for demos. */
export const DEFAULT_DIALPLAN: StaticDialplan = {
  default: [
    ext('park', '7001', [{ application: 'answer' }, { application: 'park' }]),
    ext('busy', '7002', [{ application: 'hangup', data: 'USER_BUSY' }]),
    ext('echo', '7003', [{ application: 'answer' }, { application: 'echo' }]),
    ext('tone', '7004', [
      { application: 'answer' },
      { application: 'playback', data: 'tone_stream://%(300,100,440);loops=2' },
      { application: 'hangup', data: 'NORMAL_CLEARING' },
    ]),
    ext('outbound_socket', '7005', [{ application: 'socket', data: '127.0.0.1:8084 async full' }]),
    ext('ring_forever', '7006', [{ application: 'ring_ready' }, { application: 'sleep', data: '60000' }]),
    ext('ivr_demo', '7007', [
      { application: 'answer' },
      { application: 'play_and_get_digits', data: '1 4 3 5000 # ivr/ivr-please_enter.wav ivr/ivr-invalid.wav digits \\d+' },
      { application: 'hangup', data: 'NORMAL_CLEARING' },
    ]),
    ext('bridge_user', '7008', [{ application: 'bridge', data: 'user/1000' }]),
    ext('music', '7009', [{ application: 'answer' }, { application: 'playback', data: 'local_stream://moh' }]),
    ext('demo_agent', '9\\d{3}', [{ application: 'answer' }, { application: 'park' }]),
  ],
  public: [ext('public_to_default', '(\\d+)', [{ application: 'transfer', data: '$1 XML default' }])],
};

/** Values a condition field can test. */
export function conditionValue(ch: Channel, field: string): string {
  const p = ch.profile;
  switch (field) {
    case 'destination_number': return p?.destinationNumber ?? '';
    case 'caller_id_number': return p?.callerIdNumber ?? '';
    case 'caller_id_name': return p?.callerIdName ?? '';
    case 'context': return p?.context ?? '';
    case 'ani': return p?.ani ?? '';
    case 'dialplan': return p?.dialplan ?? '';
    case 'uuid': return ch.uuid;
    case 'network_addr': return '';
    default: {
      const m = /^\$\{(.+)\}$/.exec(field);
      return (m?.[1] !== undefined ? ch.getVar(m[1]) : ch.getVar(field)) ?? '';
    }
  }
}

/** Runs the XML dialplan logic over `extensions`; undefined when nothing matched. */
export function matchExtensions(ch: Channel, extensions: readonly DialplanExtension[]): DialplanAction[] | undefined {
  const out: DialplanAction[] = [];
  let matched = false;
  for (const e of extensions) {
    let all = true;
    const actions: DialplanAction[] = [];
    for (const c of e.conditions) {
      let captures: RegExpExecArray | null = null;
      let ok = true;
      if (c.expression !== undefined) {
        try {
          captures = new RegExp(c.expression).exec(conditionValue(ch, c.field ?? 'destination_number'));
        } catch {
          captures = null;
        }
        ok = captures !== null;
      }
      const substitute = (a: DialplanAction): DialplanAction =>
        a.data === undefined ? a : { application: a.application, data: a.data.replace(/\$(\d)/g, (_s, d: string) => captures?.[Number(d)] ?? '') };
      if (ok) actions.push(...c.actions.map(substitute));
      else {
        actions.push(...(c.antiActions ?? []));
        all = false;
        break;
      }
    }
    if (all) {
      matched = true;
      out.push(...actions);
      if (e.continue !== true) break;
    }
  }
  return matched ? out : undefined;
}
