import { readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * The files this process holds open under `dir`, from Linux's /proc (the machine and CI run Linux): code that
 * opens a database or a copy must leave none open behind it.
 */
export function openFilesUnder(dir: string): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      const target = readlinkSync(join("/proc/self/fd", fd));
      return target.startsWith(dir) ? [target] : [];
    } catch {
      // Closed between the listing and the read (the listing's own descriptor).
      return [];
    }
  });
}
