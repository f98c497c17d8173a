/**
 * The inbound ACL: CIDR lists, IPv4 and IPv6 (IPv4-mapped IPv6 addresses match IPv4 ranges).
 * FreeSWITCH refuses a connection whose address is outside the list with `text/rude-rejection`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { SimConfigError } from './errors.js';

/** Loopback only, FreeSWITCH's `loopback.auto`. */
export const DEFAULT_ACL: readonly string[] = ['127.0.0.0/8', '::1/128'];

function ipv4Bits(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part) & 0xff), 0n);
}

function ipv6Bits(ip: string): bigint {
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: string[] = [];
  if (v4) {
    const n = ipv4Bits(v4[1]!);
    tail = [((n >> 16n) & 0xffffn).toString(16), (n & 0xffffn).toString(16)];
    text = text.slice(0, -v4[1]!.length).replace(/:$/, '') || ':';
    if (text === ':') text = '::';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = [...(rest === undefined || rest === '' ? [] : rest.split(':')), ...tail];
  const fill = rest === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  const groups = rest === undefined ? [...left, ...tail] : [...left, ...fill, ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16) & 0xffff), 0n);
}

interface Range {
  readonly v6: boolean;
  readonly base: bigint;
  readonly bits: number;
}

export function parseCidr(cidr: string): Range {
  const [ip, prefix] = cidr.split('/') as [string, string | undefined];
  const v6 = isIPv6(ip);
  if (!v6 && !isIPv4(ip)) throw new SimConfigError(`invalid ACL entry ${JSON.stringify(cidr)}`);
  const width = v6 ? 128 : 32;
  const bits = prefix === undefined ? width : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) throw new SimConfigError(`invalid ACL prefix in ${JSON.stringify(cidr)}`);
  return { v6, base: v6 ? ipv6Bits(ip) : ipv4Bits(ip), bits };
}

function inRange(range: Range, v6: boolean, value: bigint): boolean {
  if (range.v6 !== v6) return false;
  const width = BigInt(v6 ? 128 : 32);
  const shift = width - BigInt(range.bits);
  return value >> shift === range.base >> shift;
}

export class Acl {
  readonly #ranges: readonly Range[];

  constructor(cidrs: readonly string[]) {
    this.#ranges = cidrs.map(parseCidr);
  }

  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const ip = mapped ? mapped[1]! : address;
    if (isIPv4(ip)) return this.#ranges.some((r) => inRange(r, false, ipv4Bits(ip)));
    if (isIPv6(ip)) return this.#ranges.some((r) => inRange(r, true, ipv6Bits(ip)));
    return false;
  }
}
