import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, sep } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlib, gzip } from "node:zlib";
import { Hono } from "hono";
import type { StandInEnv } from "../http-util.js";

/**
 * Serves the installed @clerk/clerk-js `dist/` folder, so the app can load
 * Clerk's browser SDK with `CLERK_JS=<stand-in>/clerk-js/clerk.browser.js`
 * instead of from Clerk's CDN. The whole folder is served because the script
 * loads its UI chunks from beside itself.
 *
 * Compressed like a CDN would (brotli or gzip by Accept-Encoding): the
 * sign-in page needs over a megabyte of clerk-js, seconds on a slow phone
 * (docs/benchmarks.md#page-weight--npm-run-benchpages). Each file is read and
 * compressed once, on first request, and kept in memory; chunk names carry a
 * content hash and the version, so browsers keep those for a year, and
 * revalidate the unversioned entry script by ETag.
 */

const CONTENT_TYPES: Record<string, string> = {
  ".js": "application/javascript; charset=utf-8",
  ".mjs": "application/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

/** `<name>_<6 hex of content hash>_<semver>…`: such a file never changes under its name. */
const VERSIONED_NAME = /_[0-9a-f]{6,}_\d+\.\d+\.\d+[^/]*$/;
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "public, no-cache";

// Quality 5 of 11: most of what brotli can save, in a small share of the time quality 11 takes
// (docs/benchmarks.md#page-weight--npm-run-benchpages).
const brotli = (data: Buffer) =>
  promisify(brotliCompress)(data, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
const gzipped = (data: Buffer) => promisify(gzip)(data);

type Encoding = "br" | "gzip" | "identity";

interface Asset {
  contentType: string;
  cacheControl: string;
  /** The content hash; each encoding's ETag adds its name. */
  hash: string;
  bodies: Record<Encoding, Buffer>;
}

let cachedDistDir: string | undefined;
const assets = new Map<string, Promise<Asset | null>>();

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
    // The raw (still percent-encoded) path: the file lookup decodes it once and checks the result.
    const { pathname } = new URL(c.req.url);
    const file = distFile(pathname.slice(pathname.indexOf("/clerk-js/") + "/clerk-js/".length));
    const asset = file ? await assetFor(file) : null;
    if (!asset) return next();

    const encoding = chooseEncoding(c.req.header("accept-encoding"));
    const etag = `"${asset.hash}${encoding === "identity" ? "" : `-${encoding}`}"`;
    const headers: Record<string, string> = {
      "Content-Type": asset.contentType,
      "Cache-Control": asset.cacheControl,
      ETag: etag,
      Vary: "Accept-Encoding",
      "Access-Control-Allow-Origin": "*",
      "Cross-Origin-Resource-Policy": "cross-origin",
    };
    if (encoding !== "identity") headers["Content-Encoding"] = encoding;
    if (matchesEtag(c.req.header("if-none-match"), asset.hash)) return c.body(null, 304, headers);
    const body = asset.bodies[encoding];
    headers["Content-Length"] = String(body.length);
    if (c.req.method === "HEAD") return c.body(null, 200, headers);
    return c.body(new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength), 200, headers);
  });
  return files;
}

/** The file under dist/ a request path names, or null: nothing outside dist/, whatever the path says. */
function distFile(relativePath: string): string | null {
  const root = clerkJsDistDir();
  let decoded: string;
  try {
    decoded = decodeURIComponent(relativePath);
  } catch {
    return null;
  }
  const file = join(root, decoded);
  if (!decoded || decoded.includes("\0") || !file.startsWith(root + sep)) return null;
  return file;
}

function assetFor(file: string): Promise<Asset | null> {
  let asset = assets.get(file);
  if (!asset) {
    asset = loadAsset(file);
    assets.set(file, asset);
    // A file that is absent now may be installed later; only found files stay cached.
    void asset.then((found) => {
      if (!found) assets.delete(file);
    });
  }
  return asset;
}

async function loadAsset(file: string): Promise<Asset | null> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return null;
  const identity = await readFile(file);
  const [br, gz] = await Promise.all([brotli(identity), gzipped(identity)]);
  return {
    contentType: CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    cacheControl: VERSIONED_NAME.test(file) ? IMMUTABLE : REVALIDATE,
    hash: createHash("sha256").update(identity).digest("hex").slice(0, 32),
    // An encoding that does not make the file smaller is not worth the client's decoding.
    bodies: {
      identity,
      br: br.length < identity.length ? br : identity,
      gzip: gz.length < identity.length ? gz : identity,
    },
  };
}

/** Brotli when the client takes it, then gzip, else the file as is; `q=0` refuses an encoding. */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    accepted.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  const takes = (name: string) => (accepted.get(name) ?? accepted.get("*") ?? 0) > 0;
  if (takes("br")) return "br";
  if (takes("gzip")) return "gzip";
  return "identity";
}

/** If-None-Match: `*`, or any of the asset's ETags (any encoding, weak or strong: the content is the same). */
function matchesEtag(ifNoneMatch: string | undefined, hash: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some(
    (tag) =>
      tag
        .trim()
        .replace(/^W\//, "")
        .replace(/"/g, "")
        .replace(/-(br|gzip)$/, "") === hash,
  );
}
