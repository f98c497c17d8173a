/** The shape of one `fsbus <name>` subcommand. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Full help text, printed by `fsbus <name> --help`. */
  readonly help: string;
  /** Runs the command; resolves with the process exit code. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
