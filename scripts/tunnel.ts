import "./env-file.js";
import { runCli } from "./cli-runner";
import { tunnel } from "./lib/tunnel-command";

// Thin on purpose: the command lives in scripts/lib so that tests run it without reaching ngrok.
runCli((argv) => tunnel(argv, { env: process.env, stdout: process.stdout, stderr: process.stderr }));
