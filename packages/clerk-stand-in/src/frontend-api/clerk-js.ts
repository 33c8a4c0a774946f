import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, sep } from "node:path";
import { Readable } from "node:stream";
import { Hono } from "hono";
import type { StandInEnv } from "../http-util.js";

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

/** The clerk-js bundle, mounted at `/clerk-js`; unknown files fall through to the stand-in's 404. */
export function clerkJsRoutes(): Hono<StandInEnv> {
  const files = new Hono<StandInEnv>();
  files.get("/*", async (c, next) => {
    // The raw (still percent-encoded) path: serveClerkJs decodes it once and checks the result.
    const { pathname } = new URL(c.req.url);
    const response = await serveClerkJs(pathname.slice(pathname.indexOf("/clerk-js/") + "/clerk-js/".length), c.req.method);
    return response ?? next();
  });
  return files;
}

/** `GET|HEAD /clerk-js/<file>`; `relativePath` is the part after `/clerk-js/`. Null when there is no such file. */
async function serveClerkJs(relativePath: string, method: string): Promise<Response | null> {
  const root = clerkJsDistDir();
  let decoded: string;
  try {
    decoded = decodeURIComponent(relativePath);
  } catch {
    return null;
  }
  const file = join(root, decoded);
  // Never serve anything outside dist/, whatever the path says.
  if (!decoded || decoded.includes("\0") || !file.startsWith(root + sep)) return null;
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return null;

  const headers = {
    "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "Content-Length": String(info.size),
    // Chunk names carry the version and a hash, so a browser may keep them.
    "Cache-Control": "public, max-age=3600",
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
  };
  if (method === "HEAD") return new Response(null, { status: 200, headers });
  return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream, { status: 200, headers });
}
