/**
 * Park mode: the live settings, their optional state file, the mod_xml_curl endpoint, the audio
 * of parked calls, and the counters. `calls_parked` counts CHANNEL_PARK events of channels our
 * extension parked (they carry the marker variable), not lookups: a lookup whose call hangs up
 * before parking, or a FreeSWITCH that ignores the document, parks nothing.
 */
import type { ParkStatus } from '@fsbus/contract';
import { LogThrottle, type EslEvent } from '@fsbus/esl';
import type { Logger } from 'pino';
import { listenError } from '../http-server.js';
import { LossMarks, type MarkedTable } from '../loss-marks.js';
import { isFirstRoutingOfBusOriginate } from './originated-leg.js';
import { DEFAULT_PARK_SETTINGS, type ParkSettings } from './park-settings.js';
import { NOT_FOUND_DOCUMENT, PARK_AUDIO_VAR, PARK_MARKER_VAR, parkDocument } from './park-xml.js';
import { ParkStateFile } from './state-file.js';
import { XmlCurlServer } from './xml-curl-server.js';

/** Channels remembered as parked right now; beyond it the oldest are forgotten (and counted). */
const MAX_PARKED_TRACKED = 100_000;
/**
 * How long an execute waits for the park audio's PLAYBACK_START before it breaks anyway: the
 * broadcast starts some 200 ms after the park, so this only ends a wait for a start that will not
 * come (the broadcast flushed from the channel's queue by someone else's `uuid_break … all`).
 */
export const AUDIO_START_WAIT_MS = 2_000;

/** The longest context served, as originate's `context` field: a longer one is answered "not found". */
export const MAX_CONTEXT_LENGTH = 127;

/** Said (once per burst) when a change was applied but the state file could not be written (a full disk). */
export const SAVE_FAILED_LOG = 'park state applied but not saved to dialplan.state_file: a restart loses the change';

/** One argument of an api command line. */
const ONE_ARGUMENT = /^[^\s\x00-\x1f\x7f]+$/;

/** `api` on a FreeSWITCH command connection; undefined when none is ready. */
export type ParkApi = (command: string) => Promise<string | undefined>;

/** A channel parked by our extension. */
interface ParkedCall {
  /** The event connection loss count when it parked (see LossMarks). */
  readonly since: number;
  /** Our audio was queued on it, and has neither ended nor been broken since. */
  audio: boolean;
  /**
   * The audio as FreeSWITCH reports it: `Application-Data` of the broadcast's playback and its
   * `Playback-File-Path` (switch_core_session_exec strips the `%[…]` block).
   */
  stream: string;
  /** A uuid_break now stops the audio: its PLAYBACK_START was seen (or may have been missed: events were lost). */
  started: boolean;
  /** Ends the executes' wait for the start: `true` breaks then, `false` finds nothing to break. */
  settle: ((breakIt: boolean) => void) | undefined;
  /** The wait and uuid_break in flight for an execute: the executes after it wait for it too, in order. */
  breaking: Promise<void> | undefined;
}

/** The playback argument as FreeSWITCH reports it: without the leading `%[…]` (or `%<delim>[…]`) block. */
function reportedStream(audio: string): string {
  return audio.replace(/^%[^[]?\[[^\]]*\]/, '');
}

/** LossMarks that also hears each loss: a playback start the executes wait for may have gone unseen. */
class ParkedLossMarks extends LossMarks<string, ParkedCall> {
  readonly #onLoss: () => void;

  constructor(table: MarkedTable<string, ParkedCall>, onLoss: () => void) {
    super(table);
    this.#onLoss = onLoss;
  }

  override eventsLost(): void {
    super.eventsLost();
    this.#onLoss();
  }
}

export interface ParkManagerOptions {
  nodeId: string;
  /** The endpoint; absent = park mode unavailable (nothing listens). */
  http?: { host: string; port: number; path: string; user?: string | undefined; password?: string | undefined } | undefined;
  stateFile?: string | undefined;
  logger: Logger;
  /** @default AUDIO_START_WAIT_MS */
  audioStartWaitMs?: number | undefined;
}

export interface ParkCounters {
  lookups: number;
  lookups_parked: number;
  calls_parked: number;
}

export class ParkManager {
  readonly #o: ParkManagerOptions;
  readonly #file: ParkStateFile | undefined;
  #server: XmlCurlServer | undefined;
  #settings: ParkSettings = { ...DEFAULT_PARK_SETTINGS };
  readonly counters: ParkCounters = { lookups: 0, lookups_parked: 0, calls_parked: 0 };
  readonly #parkedNow = new Map<string, ParkedCall>();
  #api: ParkApi | undefined;
  readonly #playFailedLog: LogThrottle;
  readonly #breakFailedLog: LogThrottle;
  readonly #saveFailedLog: LogThrottle;
  /** The state file opened (read, and found writable), once: see openStateFile. */
  #opened: Promise<void> | undefined;
  #longContextLogged = false;
  /** A parked channel found gone is forgotten as its CHANNEL_DESTROY would. */
  readonly tracker = new ParkedLossMarks(
    {
      entries: this.#parkedNow,
      since: (call) => call.since,
      channel: (uuid) => uuid,
      end: (uuid) => this.#forget(uuid),
    },
    () => {
      for (const call of this.#parkedNow.values()) this.#started(call);
    },
  );

  constructor(options: ParkManagerOptions) {
    this.#o = options;
    this.#file = options.stateFile === undefined ? undefined : new ParkStateFile(options.stateFile);
    const warn = (fields: Record<string, unknown>, msg: string): void => options.logger.warn(fields, msg);
    this.#playFailedLog = new LogThrottle(warn, 'park audio not started: the parked call stays silent');
    this.#breakFailedLog = new LogThrottle(warn, 'park audio not stopped before execute_app: the application waits until the audio ends');
    this.#saveFailedLog = new LogThrottle(warn, SAVE_FAILED_LOG);
  }

  /** Where the audio of parked calls is started from (the agent's FreeSWITCH command connections). */
  playAudioWith(api: ParkApi): void {
    this.#api = api;
  }

  /**
   * Reads the state file and checks that it can be written (once; `start` waits for it too). An
   * unusable one — unreadable, malformed, in a directory that cannot be written — rejects with a
   * ConfigError naming dialplan.state_file: better than silently forgetting the mode, or failing
   * every change later. The CLI calls it before connecting to anything.
   */
  openStateFile(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    this.#opened ??= file.open().then((settings) => {
      this.#settings = settings;
    });
    return this.#opened;
  }

  /** Opens the state file (see openStateFile), then listens. */
  async start(): Promise<void> {
    await this.openStateFile();
    const h = this.#o.http;
    if (h === undefined) return;
    const server = new XmlCurlServer({ ...h, lookup: (form) => this.lookup(form), onServerError: (err) => this.#o.logger.warn({ err }, 'dialplan endpoint error') });
    await server.listen().catch((err: unknown) => {
      throw listenError('dialplan', h.host, h.port, err);
    });
    this.#server = server;
    this.#o.logger.info({ url: server.url, park: this.#settings.enabled }, 'dialplan endpoint listening');
  }

  async stop(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
    // No event will end the waits any more: what is left breaks at once, as before any start was seen.
    for (const call of this.#parkedNow.values()) this.#started(call);
    this.#playFailedLog.flush();
    this.#breakFailedLog.flush();
    this.#saveFailedLog.flush();
  }

  /** The endpoint is listening, so FreeSWITCH can be pointed at it. */
  get available(): boolean {
    return this.#server !== undefined;
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  get settings(): Readonly<ParkSettings> {
    return this.#settings;
  }

  /** Applies a change, then persists it (rejects when the state file could not be written: logged too, once per burst). */
  async update(patch: Partial<ParkSettings>): Promise<void> {
    this.#settings = { ...this.#settings, ...patch };
    const file = this.#file;
    if (file === undefined) return;
    try {
      await file.save(this.#settings);
    } catch (err) {
      this.#saveFailedLog.hit({ path: file.path, reason: (err as Error).message });
      throw err;
    }
  }

  /**
   * One mod_xml_curl request: a park extension for the asked context while enabled, else "not
   * found". FreeSWITCH uses whatever document it gets — it looks for the call's context in it,
   * then `global`, and rejects the call when neither is there — so a document is served only for
   * the context asked, never for a guessed or shortened one.
   */
  lookup(form: URLSearchParams): string {
    this.counters.lookups++;
    if (!this.#settings.enabled || form.get('section') !== 'dialplan') return NOT_FOUND_DOCUMENT;
    // Routed again (a controller's uuid_transfer, a transfer): the call goes where it was sent, not
    // back to park. A leg the bus originated to an extension comes by a transfer the first time too.
    if (nonEmpty(form.get(`variable_${PARK_MARKER_VAR}`))) return NOT_FOUND_DOCUMENT;
    if (nonEmpty(form.get('Hunt-Transfer-Source')) && !isFirstRoutingOfBusOriginate((name) => form.get(name), 'Hunt')) return NOT_FOUND_DOCUMENT;
    // Hunt-* is the profile being routed; mod_xml_curl's enable-post-var may have left both out.
    const context = form.get('Hunt-Context') || form.get('Caller-Context') || '';
    if (context === '') return NOT_FOUND_DOCUMENT;
    if (context.length > MAX_CONTEXT_LENGTH) {
      if (!this.#longContextLogged) {
        this.#longContextLogged = true;
        this.#o.logger.warn({ length: context.length, max: MAX_CONTEXT_LENGTH }, 'dialplan lookup for a context too long to park: answered "not found" (logged once)');
      }
      return NOT_FOUND_DOCUMENT;
    }
    this.counters.lookups_parked++;
    return parkDocument(this.#settings, context, this.#o.nodeId);
  }

  onEvent(e: EslEvent): void {
    const name = e.name;
    if (name === 'CHANNEL_PARK') {
      if (e.getHeader(`variable_${PARK_MARKER_VAR}`) !== this.#o.nodeId) return;
      // The marker stays on the channel: parked again after a transfer (the static dialplan's
      // park) is not our extension's, which is served to no transferred call but a bus originate's first routing.
      if (nonEmpty(e.getHeader('Caller-Transfer-Source')) && !isFirstRoutingOfBusOriginate((name) => e.getHeader(name), 'Caller')) return;
      this.counters.calls_parked++;
      const uuid = e.uuid;
      if (uuid === undefined) return;
      if (this.#parkedNow.size >= MAX_PARKED_TRACKED) {
        const oldest = this.#parkedNow.keys().next().value;
        if (oldest !== undefined) this.#forget(oldest);
      }
      const audio = e.getHeader(`variable_${PARK_AUDIO_VAR}`);
      const call: ParkedCall = { since: this.tracker.losses, audio: false, stream: reportedStream(audio ?? ''), started: false, settle: undefined, breaking: undefined };
      this.#parkedNow.set(uuid, call);
      if (audio !== undefined) this.#play(uuid, call, audio);
    } else if (name === 'PLAYBACK_START') {
      const call = this.#audioOn(e);
      if (call !== undefined && e.getHeader('Playback-File-Path') === call.stream) this.#started(call);
    } else if (name === 'CHANNEL_EXECUTE_COMPLETE') {
      // The broadcast's playback returned (its file ended, a break, a class it could not play):
      // a uuid_break now would stop nothing, or whatever runs on the channel by then.
      const call = this.#audioOn(e);
      if (call !== undefined && e.getHeader('Application') === 'playback' && e.getHeader('Application-Data') === call.stream) this.#silent(call);
    } else if (name === 'CHANNEL_UNPARK' || name === 'CHANNEL_DESTROY' || name === 'CHANNEL_HANGUP_COMPLETE') {
      const uuid = e.uuid;
      if (uuid !== undefined) this.#forget(uuid);
    }
  }

  /** The parked call of the event's channel while our audio is marked on it. */
  #audioOn(e: EslEvent): ParkedCall | undefined {
    const uuid = e.uuid;
    const call = uuid === undefined ? undefined : this.#parkedNow.get(uuid);
    return call?.audio === true ? call : undefined;
  }

  /** The audio plays (or may): a break now stops it, and executes waiting for that break it. */
  #started(call: ParkedCall): void {
    if (!call.audio) return;
    call.started = true;
    const settle = call.settle;
    call.settle = undefined;
    settle?.(true);
  }

  /** No audio any more (ended, never started): executes waiting go without a break. */
  #silent(call: ParkedCall): void {
    call.audio = false;
    const settle = call.settle;
    call.settle = undefined;
    settle?.(false);
  }

  #forget(uuid: string): void {
    const call = this.#parkedNow.get(uuid);
    if (call === undefined) return;
    this.#parkedNow.delete(uuid);
    this.#silent(call);
  }

  /**
   * Plays the extension's audio on the parked channel. uuid_broadcast queues the playback for the
   * park loop, which runs it without leaving park (no CHANNEL_UNPARK; uuid_transfer and
   * uuid_bridge end the playback and the park together); the playback's own playback_timeout_sec
   * stands in for park's timeout check, which waits while it plays.
   */
  #play(uuid: string, call: ParkedCall, audio: string): void {
    const api = this.#api;
    if (api === undefined) return;
    const fail = (why: string): void => {
      this.#silent(call);
      this.#playFailedLog.hit({ uuid, audio, why });
    };
    if (!ONE_ARGUMENT.test(uuid) || !ONE_ARGUMENT.test(audio)) return fail('not one argument');
    // Marked before the reply: an execute_app coming meanwhile breaks it too.
    call.audio = true;
    api(`uuid_broadcast ${uuid} ${audio} aleg`).then(
      (reply) => {
        if (reply === undefined) fail('no FreeSWITCH command connection');
        else if (!reply.startsWith('+OK')) fail(reply.trim());
      },
      (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
    );
  }

  /**
   * Before an execute_app on `uuid`. The broadcast of our audio carries `event-lock`: while it
   * plays, park's loop runs nothing else queued for the channel, so the execute would wait until
   * the audio ends (the park timeout, or never). `uuid_break <uuid>` (not `all`, which flushes
   * what is queued) ends only that playback; the call stays parked and park checks its timeout
   * again. A break is sure to stop it only once its PLAYBACK_START was sent: before, the broadcast
   * is queued or reading its lead frames, and the CF_BREAK a break sets is cleared as the playback
   * starts (switch_core_session_exec). So the execute waits for that start (or the audio's end,
   * the call's unpark or end, an event connection loss) once PLAYBACK_STARTs are seen to arrive.
   * Once per broadcast: the audio is then gone. Resolves once the break's reply came (a failed
   * break is logged, the execute goes anyway); undefined when there is nothing to break.
   */
  stopAudioBeforeExecute(uuid: string, api: ParkApi): Promise<void> | undefined {
    const call = this.#parkedNow.get(uuid);
    if (call === undefined) return undefined;
    if (!call.audio || call.breaking !== undefined) return call.breaking;
    const breaking = call.started ? this.#break(uuid, call, api) : this.#startOf(call).then((breakIt) => (breakIt ? this.#break(uuid, call, api) : undefined));
    call.breaking = breaking;
    void breaking.then(() => (call.breaking = undefined));
    return breaking;
  }

  /** Whether the audio started (break it) or is over (nothing to break); started after the wait's bound. */
  #startOf(call: ParkedCall): Promise<boolean> {
    return new Promise<boolean>((settle) => {
      const bound = setTimeout(() => this.#started(call), this.#o.audioStartWaitMs ?? AUDIO_START_WAIT_MS);
      call.settle = (breakIt) => {
        clearTimeout(bound);
        settle(breakIt);
      };
    });
  }

  #break(uuid: string, call: ParkedCall, api: ParkApi): Promise<void> {
    call.audio = false;
    const fail = (why: string): void => this.#breakFailedLog.hit({ uuid, why });
    return api(`uuid_break ${uuid}`).then(
      (reply) => {
        if (reply === undefined) fail('no FreeSWITCH command connection');
        else if (!reply.startsWith('+OK')) fail(reply.trim());
      },
      (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
    );
  }

  /** The dialplan.status data (and agent.status `park`). */
  status(): ParkStatus {
    const s = this.#settings;
    return {
      available: this.available,
      endpoint: this.url ?? null,
      enabled: s.enabled,
      mode: s.mode,
      music_class: s.music_class,
      autoanswer: s.autoanswer,
      timeout_seconds: s.timeout_seconds,
      timeout_cause: s.timeout_cause,
      calls_parked: this.counters.calls_parked,
      parked_now: this.#parkedNow.size,
      lookups: this.counters.lookups,
      lookups_parked: this.counters.lookups_parked,
      state_file: this.#file?.path ?? null,
    };
  }
}

function nonEmpty(v: string | undefined | null): boolean {
  return v !== undefined && v !== null && v !== '';
}
