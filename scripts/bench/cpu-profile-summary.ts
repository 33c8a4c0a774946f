/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): where the samples
 * landed, by self time, grouped by function and by package.
 *
 *   tsx scripts/bench/cpu-profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export function packageOf(url: string): string {
  if (!url) return "(native / V8)";
  if (url.startsWith("node:")) return "node core";
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.includes("/build/")) return "app build (build/index.js)";
  if (url.includes("/app/")) return "app source";
  if (url.includes("/scripts/")) return "scripts";
  return url.replace(/^file:\/\//, "");
}

/** Share of busy samples spent inside (at any depth) a function whose name matches. */
function inclusiveShare(profile: CpuProfile, names: readonly string[]): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const shares = new Map(names.map((name) => [name, 0]));
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || node.callFrame.functionName === "(idle)") continue;
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)!.callFrame.functionName;
      if (shares.has(name) && !seen.has(name)) {
        seen.add(name);
        shares.set(name, shares.get(name)! + hits);
      }
    }
  }
  return shares;
}

/** The pipeline's own functions, to split a profile into "the webhook's work" and "the server around it". */
export const PIPELINE_FRAMES = [
  "handleClerkWebhook",
  "readBodyWithLimit",
  "processClerkWebhook",
  "verifyClerkWebhook",
  "commit",
  "writeClerkUser",
  "recordDelivery",
  "write",
] as const;

export function summariseProfile(path: string, top = 25): string {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const idle = profile.nodes
    .filter((n) => n.callFrame.functionName === "(idle)")
    .reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const busy = total - idle;
  const byFrame = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || node.callFrame.functionName === "(idle)") continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url
      ? `${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(app|build|scripts)\//, "$1/")}:${lineNumber + 1}`
      : "";
    const key = `${functionName || "(anonymous)"} ${short}`.trim();
    byFrame.set(key, (byFrame.get(key) ?? 0) + hits);
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const pct = (n: number) => `${((100 * n) / Math.max(busy, 1)).toFixed(1).padStart(5)}%`;
  const inclusive = inclusiveShare(profile, PIPELINE_FRAMES);
  const lines = [
    `profile ${path}`,
    `${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s; ${((100 * idle) / Math.max(total, 1)).toFixed(1)}% idle; percentages are of busy samples`,
    "",
    "self time by package:",
    ...[...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, v]) => `  ${pct(v)}  ${k}`),
    "",
    "inclusive time in the webhook's own functions (the rest is the server around them):",
    ...[...inclusive.entries()].map(
      ([k, v]) => `  ${pct(v)}  ${k}${k === "write" ? " (includes the logger's write)" : ""}`,
    ),
    "",
    `top ${top} frames by self time:`,
    ...[...byFrame.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${pct(v)}  ${k}`),
  ];
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: tsx scripts/bench/cpu-profile-summary.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  console.log(summariseProfile(file, Number(top ?? 25)));
}
