import { tunnel } from "./lib/tunnel-command";

// Thin on purpose: the command lives in scripts/lib so that tests run it without reaching ngrok.
tunnel(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
