/**
 * A NATS `.creds` file (FSBUS_BROKER_CREDS, broker.creds_file) checked at load the way nats.js's
 * credsAuthenticator reads it — a user JWT block, then a seed block — so that a missing, unreadable
 * or malformed one is a config error naming the setting (exit 78), not every connect refused (exit
 * 1, restarted forever by a service manager). Never quotes the file: it holds the user's seed.
 */
import { readFileSync } from 'node:fs';
import { natsCredsProblem } from '@fsbus/transport';

/** Why the file at `file` cannot sign in (unreadable, no blocks, no user JWT, no seed), or undefined. */
export function credsFileProblem(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  const problem = natsCredsProblem(text);
  return problem === undefined ? undefined : `${file} is not a .creds file: ${problem}`;
}
