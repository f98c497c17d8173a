/**
 * Just enough of FreeSWITCH's listener rules for tests of subscription-dependent features:
 * `event`/`nixevent`/`noevents` flags and `filter` (an event passes when any filter matches),
 * so a BACKGROUND_JOB is delivered only if FreeSWITCH would deliver it.
 */
import { EslEvent } from '../../src/index.js';
import type { PeerConn, ReceivedCommand } from './scripted-peer.js';

export class ListenerRules {
  all = false;
  readonly names = new Set<string>();
  filters: Array<[string, string]> = [];

  /** Applies a subscription/filter command and replies like FreeSWITCH; false if not one. */
  handle(cmd: ReceivedCommand, conn: PeerConn): boolean {
    const [verb, ...args] = cmd.line.split(' ');
    switch (verb) {
      case 'event':
        for (const n of args.slice(1)) if (n === 'ALL') this.all = true; else this.names.add(n);
        conn.reply(`+OK event listener enabled ${args[0]}`);
        return true;
      case 'nixevent':
        for (const n of args) if (n === 'ALL') this.all = false; else this.names.delete(n);
        conn.reply('+OK events nixed');
        return true;
      case 'noevents':
        this.all = false;
        this.names.clear();
        conn.reply('+OK no longer listening for events');
        return true;
      case 'filter':
        if (args[0] === 'delete') {
          if (args[1] === 'all' && args.length === 2) this.filters = [];
          else this.filters = this.filters.filter(([h, v]) => h !== args[1] || (args.length > 2 && v !== args.slice(2).join(' ')));
          conn.reply(`+OK filter deleted. [${args[1]}][${args.slice(2).join(' ')}]`);
        } else {
          this.filters.push([args[0]!, args.slice(1).join(' ')]);
          conn.reply(`+OK filter added. [${args[0]}]=[${args.slice(1).join(' ')}]`);
        }
        return true;
      default:
        return false;
    }
  }

  delivers(event: EslEvent): boolean {
    if (!this.all && !this.names.has(event.name)) return false;
    if (this.filters.length === 0) return true;
    return this.filters.some(([h, v]) => event.getHeader(h) === v);
  }

  /** Sends the event if FreeSWITCH would; returns whether it did. */
  send(conn: PeerConn, event: EslEvent): boolean {
    if (!this.delivers(event)) return false;
    conn.event(event);
    return true;
  }
}

export function backgroundJob(jobUuid: string, body: string): EslEvent {
  return new EslEvent([
    ['Event-Name', 'BACKGROUND_JOB'],
    ['Core-UUID', 'core'],
    ['Job-UUID', jobUuid],
    ['Job-Command', 'status'],
  ], body);
}
