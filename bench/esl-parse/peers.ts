/**
 * One adapter per library: parse a list of chunks into event objects and read each event's
 * `Event-Name` from them (so lazy parsing cannot skip the headers). Each returns the number
 * of events and a checksum of the names read, so a library that silently drops or garbles
 * events cannot win; the runner checks all libraries agree.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EslParser, decodeFrame } from '@fsbus/esl';

export interface ParseResult {
  events: number;
  /** Sum of the lengths of the `Event-Name` values read. */
  nameChars: number;
  /** Header values read in `all` mode (0 in `name` mode). */
  headers: number;
}

/**
 * `name`: read `Event-Name` of every event (the yardstick; lazy parsing may shine).
 * `all`: also iterate every header of every event, as a bridge publishing whole events does.
 */
export type ReadMode = 'name' | 'all';
export const READ_MODES: readonly ReadMode[] = ['name', 'all'];

export interface Peer {
  readonly name: string;
  readonly version: string;
  parse(chunks: readonly Buffer[], mode: ReadMode): Promise<ParseResult>;
}

const require = createRequire(import.meta.url);

/** A package's version, read from the package.json above its resolved entry point. */
function versionOf(pkg: string): string {
  const entry = require.resolve(pkg);
  const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${pkg}/`) + `/node_modules/${pkg}/`.length);
  return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
}

// ------------------------------------------------------------------ @fsbus/esl

function fsbusPeer(): Peer {
  return {
    name: '@fsbus/esl',
    version: (JSON.parse(readFileSync(new URL('../../packages/esl/package.json', import.meta.url), 'utf8')) as { version: string }).version,
    parse(chunks, mode) {
      const result: ParseResult = { events: 0, nameChars: 0, headers: 0 };
      const countHeader = (value: string | undefined): void => {
        result.headers += value === undefined ? 0 : 1;
      };
      const parser = new EslParser((raw) => {
        const frame = decodeFrame(raw);
        if (frame.kind === 'event') {
          result.events++;
          result.nameChars += frame.event.getHeader('Event-Name')?.length ?? 0;
          if (mode === 'all') frame.event.forEachHeader(countHeader);
        }
      });
      for (const chunk of chunks) parser.push(chunk);
      return Promise.resolve(result);
    },
  };
}

// ------------------------------------------------------------------ modesl

interface ModeslEvent {
  headers: Array<{ name: string; value: unknown }>;
  getHeader(name: string): string | null | undefined;
}
interface ModeslParser {
  on(event: 'esl::event', fn: (event: ModeslEvent) => void): void;
  on(event: 'error', fn: (err: unknown) => void): void;
}
type ModeslParserCtor = new (socket: EventEmitter) => ModeslParser;

/** modesl's `Parser` listens to a socket's `data` events; an EventEmitter stands in for the socket. */
function modeslPeer(): Peer {
  const Parser = require('modesl/lib/esl/Parser.js') as ModeslParserCtor;
  return {
    name: 'modesl',
    version: versionOf('modesl'),
    parse(chunks, mode) {
      const result: ParseResult = { events: 0, nameChars: 0, headers: 0 };
      const socket = new EventEmitter();
      const parser = new Parser(socket);
      let failure: unknown;
      parser.on('error', (err) => (failure ??= err));
      parser.on('esl::event', (event) => {
        const name = event.getHeader('Event-Name');
        if (typeof name === 'string' && name !== '') {
          result.events++;
          result.nameChars += name.length;
          if (mode === 'all') for (const header of event.headers) result.headers += header.value === undefined ? 0 : 1;
        }
      });
      for (const chunk of chunks) socket.emit('data', chunk);
      return failure === undefined ? Promise.resolve(result) : Promise.reject(failure instanceof Error ? failure : new Error('modesl emitted a non-Error failure', { cause: failure }));
    },
  };
}

// ------------------------------------------------------------------ esl-lite

interface EslLiteProcessed {
  event?: string;
  body?: unknown;
}
interface EslLiteModule {
  FreeSwitchParser(socket: AsyncIterable<Buffer> | Iterable<Buffer>, logger: unknown): AsyncGenerator<unknown>;
  __processRawEvent(input: unknown): EslLiteProcessed | Error;
}

/**
 * esl-lite's pipeline is `FreeSwitchParser` (framing, exported) then `processRawEvent` (body
 * decoding into `Body`, not exported; its client calls it on every frame). To run exactly its
 * code, the published bundle is imported from a data: URL with one export line appended.
 */
async function loadEslLite(): Promise<EslLiteModule> {
  const path = require.resolve('esl-lite').replace(/\.cjs$/, '.mjs');
  const source = readFileSync(path, 'utf8') + '\nexport { processRawEvent as __processRawEvent };\n';
  return (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as EslLiteModule;
}

async function eslLitePeer(): Promise<Peer> {
  const lib = await loadEslLite();
  const errors: unknown[] = [];
  const logger = { error: (obj: unknown) => errors.push(obj), warn() {}, info() {}, debug() {}, child: () => logger };
  return {
    name: 'esl-lite',
    version: versionOf('esl-lite'),
    async parse(chunks, mode) {
      const result: ParseResult = { events: 0, nameChars: 0, headers: 0 };
      for await (const raw of lib.FreeSwitchParser(chunks, logger)) {
        if (raw instanceof Error) throw raw;
        const ev = lib.__processRawEvent(raw);
        if (ev instanceof Error) throw ev;
        const data = (ev.body as { data?: Record<string, unknown> } | undefined)?.data;
        const name = data?.['Event-Name'];
        if (typeof name === 'string') {
          result.events++;
          result.nameChars += name.length;
          if (mode === 'all') for (const key in data) result.headers += data[key] === undefined ? 0 : 1;
        }
      }
      if (errors.length > 0) throw new Error(`esl-lite logged ${errors.length} parse errors`);
      return result;
    },
  };
}

export async function loadPeers(): Promise<Peer[]> {
  return [fsbusPeer(), modeslPeer(), await eslLitePeer()];
}
