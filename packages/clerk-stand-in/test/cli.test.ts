import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";

/**
 * The CLI as a developer runs it, in a child process against a stand-in
 * in this one (so its event loop must stay free: execFile, not spawnSync).
 */

const BIN = fileURLToPath(new URL("../bin/clerk-stand-in.js", import.meta.url));
let standIn: ClerkStandIn;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "stand-in-cli-"));
  standIn = await startClerkStandIn({ controlTokenFile: join(workDir, "data", "clerk-stand-in.control.json") });
});
afterAll(() => standIn.close());

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const clean = { ...process.env };
    for (const name of ["CLERK_STAND_IN_URL", "CLERK_STAND_IN_PORT", "CLERK_STAND_IN_CONTROL_TOKEN"])
      delete clean[name];
    execFile(process.execPath, [BIN, ...args], { cwd: workDir, env: { ...clean, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("clerk-stand-in update and delete", () => {
  it("edit a user's names and primary email, then delete it, like Clerk's dashboard", async () => {
    const user = standIn.store.create({ email_address: ["before@example.com"], first_name: "Ada", last_name: "Byron" });
    // The URL and token come from the file the launcher wrote in ./data, as with `npm run dev`.
    const updated = await cli([
      "update",
      user.id,
      "--first-name",
      "Augusta",
      "--last-name",
      "King",
      "--email",
      "after@example.com",
    ]);
    expect(updated.stderr).toBe("");
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: user.id, first_name: "Augusta", last_name: "King" });
    const stored = standIn.store.get(user.id)!;
    expect(stored.email_addresses.find((e) => e.id === stored.primary_email_address_id)?.email_address).toBe(
      "after@example.com",
    );

    const deleted = await cli(["delete", user.id, "--url", standIn.url, "--token", standIn.controlToken]);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ id: user.id, deleted: true });
    expect(standIn.store.get(user.id)).toBeUndefined();
  });

  it("say what is missing instead of sending an empty edit", async () => {
    const user = standIn.store.create({ first_name: "Unchanged" });
    const result = await cli(["update", user.id]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--first-name, --last-name, --email");
    expect(standIn.store.get(user.id)?.first_name).toBe("Unchanged");
  });
});

describe("clerk-stand-in connection errors", () => {
  it("name the URL tried and how to point elsewhere, for --url and for CLERK_STAND_IN_PORT", async () => {
    const port = await closedPort();
    for (const [args, env, source] of [
      [["users", "--url", `http://127.0.0.1:${port}`], {}, "--url"],
      [["users"], { CLERK_STAND_IN_PORT: String(port) }, "CLERK_STAND_IN_PORT"],
    ] as const) {
      const result = await cli([...args], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`http://127.0.0.1:${port}`);
      expect(result.stderr).toContain(source);
      expect(result.stderr).toMatch(/--url .*CLERK_STAND_IN_URL.*CLERK_STAND_IN_PORT/);
      expect(result.stderr).not.toMatch(/^fetch failed$/m);
    }
  });

  it("say the control token is missing or foreign, and where it comes from", async () => {
    const foreign = await cli(["users", "--url", standIn.url, "--token", "sct_of_another_run"]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain("refused the control token from --token");
    const none = await cli(["users", "--url", standIn.url, "--token-file", join(workDir, "absent.json")]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("needs its control token");
    expect(none.stderr).toContain("CLERK_STAND_IN_CONTROL_TOKEN");
  });
});
