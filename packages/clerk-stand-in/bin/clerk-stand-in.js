#!/usr/bin/env node
// The package ships TypeScript source: tsx's loader is registered in this very
// process (no child process, so a signal sent to the bin reaches the stand-in).
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
