import { ConfigError } from "~/env.server";

/**
 * The one way every command in scripts/ ends: the script parses its arguments
 * and calls the app; this prints what went wrong and sets the exit code.
 *   0  done
 *   1  the work failed (CliFailure: a message the user can act on; anything else: a stack)
 *   2  the command was used wrongly (UsageError) or a setting is missing (ConfigError)
 */

/** Bad arguments: the message, then the command's help when given. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly help?: string,
  ) {
    super(message);
  }
}

/** The work stopped for a reason the message explains; no stack. */
export class CliFailure extends Error {
  override name = "CliFailure";
}

export interface CliIo {
  stderr: { write(text: string): unknown };
}

export function exitCodeFor(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr.write(`${error.message}\n${error.help ? `\n${error.help}` : ""}`);
    return 2;
  }
  if (error instanceof ConfigError) {
    io.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (error instanceof CliFailure) {
    io.stderr.write(`${error.message}\n`);
    return 1;
  }
  io.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

/**
 * Runs `main` with the process's arguments and exits with its code. The exit is
 * explicit: a request abandoned after a timeout would otherwise keep the process alive.
 */
export function runCli(main: (argv: string[]) => Promise<number | void>, io: CliIo = process): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => process.exit(exitCodeFor(error, io)),
  );
}
