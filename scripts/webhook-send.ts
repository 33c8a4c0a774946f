import "./env-file.js";
import { runCli } from "./cli-runner";
import { webhookSend } from "./lib/webhook-send-command";

// Thin on purpose: the command lives in scripts/lib so that tests run it in-process.
runCli((argv) => webhookSend(argv, { env: process.env, stdout: process.stdout, stderr: process.stderr }));
