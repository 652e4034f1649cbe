// What every rolemodel subcommand is given: where lines go, the environment, and whether stderr is a terminal.

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Progress lines go to stderr on their own only when it is a terminal (`--progress` asks for them anyway). */
  readonly stderrIsTty: boolean;
}

/** One subcommand: its own file, its own help, behind the table in commands.ts. */
export interface Command {
  readonly name: string;
  /** One line for `rolemodel --help`. */
  readonly summary: string;
  /** `rolemodel NAME --help`. */
  readonly usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}
