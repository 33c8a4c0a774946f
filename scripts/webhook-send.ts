import { webhookSend } from "./lib/webhook-send-command";

// Thin on purpose: the command lives in scripts/lib so that tests run it in-process.
webhookSend(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
