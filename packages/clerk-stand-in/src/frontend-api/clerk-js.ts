import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, sep } from "node:path";

/**
 * Serves the installed @clerk/clerk-js `dist/` folder, so the app can load
 * Clerk's browser SDK with `CLERK_JS=<stand-in>/clerk-js/clerk.browser.js`
 * instead of from Clerk's CDN. The whole folder is served because the script
 * loads its UI chunks from beside itself.
 */

const CONTENT_TYPES: Record<string, string> = {
  ".js": "application/javascript; charset=utf-8",
  ".mjs": "application/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

let cachedDistDir: string | undefined;

/** Absolute path of the installed clerk-js `dist/` folder. */
export function clerkJsDistDir(): string {
  cachedDistDir ??= join(dirname(createRequire(import.meta.url).resolve("@clerk/clerk-js/package.json")), "dist");
  return cachedDistDir;
}

/** The version of the served clerk-js, for logs and the environment's display config. */
export function clerkJsVersion(): string {
  const pkg = createRequire(import.meta.url)("@clerk/clerk-js/package.json") as { version: string };
  return pkg.version;
}

/** Answers `GET|HEAD /clerk-js/<file>`; `relativePath` is the part after `/clerk-js/`. */
export async function serveClerkJs(req: IncomingMessage, res: ServerResponse, relativePath: string): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const root = clerkJsDistDir();
  let decoded: string;
  try {
    decoded = decodeURIComponent(relativePath);
  } catch {
    return false;
  }
  const file = join(root, decoded);
  // Never serve anything outside dist/, whatever the path says.
  if (!decoded || decoded.includes("\0") || !file.startsWith(root + sep)) return false;
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return false;

  res.writeHead(200, {
    "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "Content-Length": info.size,
    // Chunk names carry the version and a hash, so a browser may keep them.
    "Cache-Control": "public, max-age=3600",
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
  });
  if (req.method === "HEAD") {
    res.end();
    return true;
  }
  await new Promise<void>((resolve, reject) => {
    createReadStream(file).on("error", reject).on("end", resolve).pipe(res);
  });
  return true;
}
