/**
 * mod_sofia's profiles and gateways as the simulator has them: vanilla 1.10.12's `internal`
 * (5060) and `external` (5080) profiles, no alias, and the gateways the options declare (none by
 * default) or the control API adds and removes while it runs, each in one profile and not
 * registering (NOREG). They decide which `sofia/` dial strings get a session
 * (sofia_outgoing_channel) and what `sofia status` prints (cmd_status).
 */
import type { Channel } from './channel.js';
import { notModelled } from './api-stock.js';
import { SimConfigError } from '../errors.js';

/** A gateway of a sofia profile, as a `<gateway>` in its XML declares one with `register` false. */
export interface SofiaGateway {
  /**
   * The name `sofia/gateway/<name>/<number>` dials (case-sensitive, as mod_sofia's gateway hash);
   * no whitespace, `/`, `,` or `|`, which would end it in a dial string.
   */
  readonly name: string;
  /** @default 'external' */
  readonly profile?: 'internal' | 'external';
  /** @default 'FreeSWITCH' (mod_sofia's default when the gateway does not register) */
  readonly username?: string;
  /** @default the gateway's name */
  readonly realm?: string;
  /** Where its calls go, `host[:port]` or a `sip:` URI (`sofia status` shows it). @default the realm */
  readonly proxy?: string;
}

/** A gateway with mod_sofia's defaults filled in. */
export type SofiaGatewayInfo = Required<SofiaGateway>;

/** Characters that end a gateway's name in a dial string (`/` the URL, `,` `|` the originate lists) or an api's arguments. */
const NOT_IN_NAME = /[\s/,|]/;
const TOKEN = /^\S+$/;

/** The gateway as given, checked (input from JSON or a command line is not typed); SimConfigError names the field. */
function checked(gw: SofiaGateway): SofiaGateway {
  const { name, profile, username, realm, proxy } = gw as { readonly [k in keyof SofiaGateway]: unknown };
  if (typeof name !== 'string' || name === '' || NOT_IN_NAME.test(name)) {
    throw new SimConfigError(`gateway name must be a non-empty string without whitespace, '/', ',' or '|' (a dial string could not name it), got ${JSON.stringify(name)}`);
  }
  if (profile !== undefined && profile !== 'internal' && profile !== 'external') {
    throw new SimConfigError(`gateway ${JSON.stringify(name)}: profile must be internal or external, got ${JSON.stringify(profile)}`);
  }
  for (const [field, value] of [['username', username], ['realm', realm], ['proxy', proxy]] as const) {
    if (value !== undefined && (typeof value !== 'string' || !TOKEN.test(value))) {
      throw new SimConfigError(`gateway ${JSON.stringify(name)}: ${field} must be a non-empty string without whitespace, got ${JSON.stringify(value)}`);
    }
  }
  return gw;
}

/** The profiles, in the order `sofia status` lists them (mod_sofia's profile hash order). */
const PROFILES: ReadonlyArray<{ readonly name: string; readonly port: number }> = [
  { name: 'external', port: 5080 },
  { name: 'internal', port: 5060 },
];

/** cmd_status' separator: 98 `=`. */
const LINE = '='.repeat(98);

/** `%25s\t%s\t  %40s\t%s`: name and data right-aligned (printf pads, never cuts). */
const row = (name: string, type: string, data: string, state: string): string => `${name.padStart(25)}\t${type}\t  ${data.padStart(40)}\t${state}`;

export class SofiaConfig {
  private readonly gateways = new Map<string, SofiaGateway>();
  /** The options' gateways, which reset() puts back. */
  private readonly declared: readonly SofiaGateway[];
  /** The profile of each gateway removed while it ran, for the legs it may still have. */
  private readonly removedProfiles = new Map<string, string>();

  constructor(gateways: readonly SofiaGateway[], private readonly ipv4: () => string) {
    // The first of two gateways with one name wins, as mod_sofia refuses to add the second.
    const byName = new Map<string, SofiaGateway>();
    for (const gw of gateways) if (!byName.has(checked(gw).name)) byName.set(gw.name, { ...gw });
    this.declared = [...byName.values()];
    this.restore();
  }

  /** Back to the options' gateways (SimCore.reset: what was added or removed at run time is the test's script). */
  restore(): void {
    this.gateways.clear();
    this.removedProfiles.clear();
    for (const gw of this.declared) this.gateways.set(gw.name, gw);
  }

  /** Declares a gateway while the simulator runs; one of the same name is refused, as mod_sofia refuses it. */
  add(gateway: SofiaGateway): void {
    const gw = { ...checked(gateway) };
    if (this.gateways.has(gw.name)) throw new SimConfigError(`gateway ${JSON.stringify(gw.name)} already exists`);
    this.gateways.set(gw.name, gw);
    this.removedProfiles.delete(gw.name);
  }

  /**
   * Takes a gateway away (`sofia profile <p> killgw <name>`): new calls to it fail INVALID_GATEWAY;
   * legs dialled through it run on, counted on its profile. False when there was none of that name.
   */
  remove(name: string): boolean {
    const gw = this.gateways.get(name);
    if (gw === undefined) return false;
    this.gateways.delete(name);
    this.removedProfiles.set(name, gw.profile ?? 'external');
    return true;
  }

  /** The gateways in the order they were declared, with mod_sofia's defaults filled in. */
  list(): SofiaGatewayInfo[] {
    return [...this.gateways.values()].map((gw) => {
      const realm = gw.realm ?? gw.name;
      return { name: gw.name, profile: gw.profile ?? 'external', username: gw.username ?? 'FreeSWITCH', realm, proxy: gw.proxy ?? realm };
    });
  }

  /**
   * sofia_outgoing_channel's checks of what follows `sofia/`: `gateway/<name>/<dest>` needs a
   * declared gateway, `<profile>/<dest>` a profile. The cause when it refuses (no session runs), else undefined.
   */
  refusal(rest: string): string | undefined {
    const slash = rest.indexOf('/');
    if (rest.slice(0, 8).toLowerCase() === 'gateway/') {
      const tail = rest.slice(8);
      const end = tail.indexOf('/');
      if (end < 0) return 'INVALID_URL';
      return this.gateways.has(tail.slice(0, end)) ? undefined : 'INVALID_GATEWAY';
    }
    if (slash < 0) return 'INVALID_URL';
    return this.profileOf(rest.slice(0, slash)) === undefined ? 'INVALID_PROFILE' : undefined;
  }

  /**
   * `sofia status [...]` (cmd_status): the overview without arguments; an unknown gateway or
   * profile's texts; the forms that print a known one's configuration and call counters (and
   * the one-word gateway summary) answer that they are not modelled.
   */
  status(argv: readonly string[], channels: Iterable<Channel>): string {
    if (argv.length === 0) return this.overview(channels);
    const not = notModelled(`sofia status ${argv.join(' ')}`);
    if (argv.length === 1) return not;
    const [what = '', name = ''] = argv;
    if (what.toLowerCase() === 'gateway') return this.gateways.has(name) ? not : 'Invalid Gateway!\n';
    if (what.toLowerCase() === 'profile') return this.profileOf(name) === undefined ? 'Invalid Profile!\n' : not;
    return 'Invalid Syntax!\n';
  }

  private profileOf(name: string): { readonly name: string; readonly port: number } | undefined {
    return PROFILES.find((p) => p.name === name);
  }

  /** The profile a sofia channel is on, by its name (`sofia/<profile>/…`, a gateway leg's `sofia/gateway/<gw>/…`). */
  private channelProfile(ch: Channel): string | undefined {
    const [tech, first, second] = ch.name.split('/');
    if (tech !== 'sofia') return undefined;
    if (first?.toLowerCase() === 'gateway') {
      const name = second ?? '';
      return this.gateways.get(name)?.profile ?? this.removedProfiles.get(name) ?? 'external';
    }
    return first;
  }

  private overview(channels: Iterable<Channel>): string {
    // The profile's inuse: its sessions not yet destroyed (sofia_on_destroy takes them off).
    const inUse = new Map<string, number>();
    for (const ch of channels) {
      const p = this.channelProfile(ch);
      if (p !== undefined) inUse.set(p, (inUse.get(p) ?? 0) + 1);
    }
    const out = [row('Name', '   Type', 'Data', 'State'), LINE];
    for (const p of PROFILES) {
      out.push(row(p.name, 'profile', `sip:mod_sofia@${this.ipv4()}:${p.port}`, `RUNNING (${inUse.get(p.name) ?? 0})`));
      for (const gw of this.list()) {
        if (gw.profile !== p.name) continue;
        // register_to: the username at the proxy, a `sip:` before it taken off (strncasecmp).
        const at = /^sip:/i.test(gw.proxy) ? gw.proxy.slice(4) : gw.proxy;
        out.push(row(`${p.name}::${gw.name}`, 'gateway', `sip:${gw.username}@${at}`, 'NOREG'));
      }
    }
    out.push(LINE, `${PROFILES.length} profiles 0 aliases`, '');
    return out.join('\n');
  }
}
