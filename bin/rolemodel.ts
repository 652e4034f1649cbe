#!/usr/bin/env node
// rolemodel plan|apply|verify|retire|init: one file per subcommand in bin/rolemodel/, behind the table in
// bin/rolemodel/commands.ts. Exit codes: 0 the server matches the spec (or was made to), 2 drift found by verify
// or invalid input (usage, spec, a --database not in the spec), 1 failure (connection, permissions, a failed apply).
import { dispatch } from './rolemodel/commands.js';

export async function main(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  env: NodeJS.ProcessEnv = process.env,
  stderrIsTty: boolean = process.stderr.isTTY === true,
): Promise<number> {
  return dispatch(argv, { out, err, env, stderrIsTty });
}

const invokedDirectly = process.argv[1] && /rolemodel(\.[cm]?[jt]s)?$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`rolemodel: unexpected failure: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
