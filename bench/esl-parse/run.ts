/**
 * esl-parse benchmark: the same recorded FreeSWITCH event stream parsed by @fsbus/esl, modesl
 * and esl-lite, fed in 64 KiB chunks, every event's `Event-Name` read from the event object.
 *
 *   node --conditions=source --import tsx bench/esl-parse/run.ts [--json out.json] [--smoke]
 *
 * Prints a table and (with --json) writes the report. --smoke parses a tiny stream once, so CI
 * can check the script still runs; its numbers mean nothing.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadPeers, READ_MODES, type ParseResult } from './peers.js';
import { BENCH_FORMATS, buildEventStream, chunked } from './stream.js';
import { formatTable, machineInfo, median, ratiosOf, type BenchReport, type LibraryResult } from './report.js';
import { suiteArgsOrExit } from '../lib/cli-args.js';
import { sourceInfo } from '../lib/envelope.js';

const OURS = '@fsbus/esl';
const CHUNK_BYTES = 64 * 1024;

interface Options {
  json: string | undefined;
  smoke: boolean;
  targetBytes: number;
  warmup: number;
  iterations: number;
}

/** The suites' shared options (so `fsbus bench all …` can pass them all); this suite reads `--json` and `--smoke`. */
function parseArgs(argv: readonly string[]): Options {
  const { json, smoke } = suiteArgsOrExit('esl-parse', argv);
  const mb = process.env.FSBUS_BENCH_MB === undefined ? 32 : Number(process.env.FSBUS_BENCH_MB);
  return { json, smoke, targetBytes: smoke ? 256 * 1024 : mb * 1024 * 1024, warmup: smoke ? 0 : 2, iterations: smoke ? 1 : 7 };
}

export async function runBenchmark(options: Options): Promise<BenchReport> {
  const peers = await loadPeers();
  const results: LibraryResult[] = [];
  const streams: BenchReport['input']['streams'] = [];
  let source: BenchReport['input']['source'] = 'fixtures';
  for (const format of BENCH_FORMATS) {
    const stream = buildEventStream(format, options.targetBytes);
    source = stream.source;
    streams.push({ format, bytes: stream.bytes.length, events: stream.events, distinctEvents: stream.distinctEvents });
    const chunks = chunked(stream.bytes, CHUNK_BYTES);
    for (const mode of READ_MODES) {
      let reference: ParseResult | undefined;
      for (const peer of peers) {
        for (let i = 0; i < options.warmup; i++) await peer.parse(chunks, mode);
        const samples: number[] = [];
        for (let i = 0; i < options.iterations; i++) {
          const start = performance.now();
          const got = await peer.parse(chunks, mode);
          samples.push(performance.now() - start);
          // Same work or no comparison: every library must see every event and its name.
          if (got.events !== stream.events) throw new Error(`${peer.name} (${format}) parsed ${got.events} events, expected ${stream.events}`);
          reference ??= got;
          if (got.nameChars !== reference.nameChars) throw new Error(`${peer.name} (${format}) read different Event-Name values`);
          if (mode === 'all' && got.headers < got.events * 10) throw new Error(`${peer.name} (${format}) read only ${got.headers} headers`);
        }
        const ms = median(samples);
        results.push({
          format,
          reads: mode,
          library: peer.name,
          version: peer.version,
          medianMs: ms,
          samplesMs: samples,
          eventsPerSec: stream.events / (ms / 1000),
          mbPerSec: stream.bytes.length / (1024 * 1024) / (ms / 1000),
        });
      }
    }
  }
  return {
    benchmark: 'esl-parse',
    date: new Date().toISOString(),
    source: sourceInfo(),
    machine: machineInfo(),
    input: { source, smoke: options.smoke, chunkBytes: CHUNK_BYTES, warmup: options.warmup, iterations: options.iterations, streams },
    results,
    ratios: ratiosOf(results, OURS),
  };
}

const options = parseArgs(process.argv.slice(2));
const report = await runBenchmark(options);
if (report.input.source === 'generated') {
  console.log('NOTE: FreeSWITCH captures not found; parsing generated simulator-like events instead.\n');
}
console.log(formatTable(report, OURS));
if (options.json !== undefined) writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
