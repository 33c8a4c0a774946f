import { vi } from "vitest";

/**
 * What the app's logger writes (stdout and stderr, one JSON object a line) while `run` runs, at every
 * level, parsed; and what `run` returned.
 */
export async function withCapturedLogs<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, any>[] }> {
  const previous = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = "debug";
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  };
  const out = vi.spyOn(process.stdout, "write").mockImplementation(capture);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(capture);
  try {
    const result = await run();
    return { result, lines: lines.map((line) => JSON.parse(line) as Record<string, any>) };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env.LOG_LEVEL = previous;
  }
}
