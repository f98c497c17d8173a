/** The shape of one `fsbus <name>` subcommand. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** A subcommand's code: loaded only when that subcommand is used. */
export interface CliCommand {
  /** Full help text, printed by `fsbus <name> --help`. */
  readonly help: string;
  /** Runs the command; resolves with the process exit code. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** A subcommand as `fsbus` lists it, without loading its code. */
export interface CliCommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}
