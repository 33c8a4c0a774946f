import { execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
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
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
let standIn: ClerkStandIn;
let workDir: string;
/** The app's webhook endpoint, as far as these tests need one: it takes everything. */
let endpoint: Server;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "stand-in-cli-"));
  endpoint = createHttpServer((req, res) => req.resume().on("end", () => res.writeHead(204).end()));
  await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
  const { port } = endpoint.address() as { port: number };
  standIn = await startClerkStandIn({
    controlTokenFile: join(workDir, "data", "clerk-stand-in.control.json"),
    webhookUrls: [`http://127.0.0.1:${port}/api/webhooks/clerk`],
  });
});
afterAll(async () => {
  await standIn.close();
  await new Promise((resolve) => endpoint.close(resolve));
});

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

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 5));

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
      "--json",
    ]);
    expect(updated.stderr).toBe("");
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: user.id, first_name: "Augusta", last_name: "King" });
    const stored = standIn.store.get(user.id)!;
    expect(stored.email_addresses.find((e) => e.id === stored.primary_email_address_id)?.email_address).toBe(
      "after@example.com",
    );

    const deleted = await cli(["delete", user.id, "--url", standIn.url, "--token", standIn.controlToken, "--json"]);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ id: user.id, deleted: true });
    expect(standIn.store.get(user.id)).toBeUndefined();
  });

  it("say what they did in a line, by default", async () => {
    const user = standIn.store.create({ email_address: ["line@example.com"], first_name: "Line" });
    const updated = await cli(["update", user.id, "--last-name", "Reader"]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toBe(`Updated ${user.id}: Line Reader <line@example.com>. The app hears user.updated.\n`);
    const deleted = await cli(["delete", user.id]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`Deleted ${user.id}. The app hears user.deleted.\n`);
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

/** `2026-11-29 03:41:07`: what a person reads, not epoch milliseconds. */
const READABLE_TIME = /\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b/;
const EPOCH_MS = /\b1\d{12}\b/;
/** What a stand-in avatar (a data: URL of base64) would leave on the screen. */
const BASE64_RUN = /[A-Za-z0-9+/]{60,}/;

describe("clerk-stand-in users and deliveries", () => {
  it("list users as a table with readable times and no avatars; --json gives the control API's answer", async () => {
    const user = standIn.store.create({
      email_address: ["grace.table@example.com"],
      first_name: "Grace",
      last_name: "Hopper",
    });
    expect(user.image_url).toMatch(/^data:/);
    const table = await cli(["users"]);
    expect(table.code).toBe(0);
    const row = table.stdout.split("\n").find((line) => line.startsWith(user.id))!;
    expect(row).toContain("grace.table@example.com");
    expect(row).toContain("Grace Hopper");
    expect(row).toContain(new Date(user.created_at).toISOString().slice(0, 19).replace("T", " "));
    expect(row).toMatch(READABLE_TIME);
    expect(table.stdout).toMatch(new RegExp(`^${standIn.store.size} users?; times in UTC\n`));
    expect(table.stdout).toMatch(/^ID +EMAIL +NAME +CREATED +UPDATED$/m);
    expect(table.stdout).not.toContain("data:");
    expect(table.stdout).not.toMatch(BASE64_RUN);
    expect(table.stdout).not.toMatch(EPOCH_MS);

    const json = await cli(["users", "--json"]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { total_count: number; data: Array<{ id: string }> };
    expect(parsed.total_count).toBe(standIn.store.size);
    expect(parsed.data.find((u) => u.id === user.id)).toEqual(standIn.store.get(user.id));
  });

  it("show the delivery log with readable times, attempts and the last status; --json keeps the milliseconds", async () => {
    const user = standIn.store.create({ email_address: ["delivered@example.com"] });
    await standIn.deliveries.waitForIdle();
    const record = standIn.deliveries.records({ user_id: user.id, type: "user.created" })[0];
    expect(record.state).toBe("succeeded");

    const table = await cli(["deliveries"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID +EVENT +USER +STATE +ATTEMPTS +LAST STATUS +LAST ATTEMPT +NEXT ATTEMPT$/m);
    const row = table.stdout.split("\n").find((line) => line.startsWith(record.id))!;
    expect(row.split(/ {2,}/)).toEqual([
      record.id,
      "user.created",
      user.id,
      "succeeded",
      "1",
      "204",
      new Date(record.attempts[0].at).toISOString().slice(0, 19).replace("T", " "),
      "—",
    ]);
    expect(table.stdout).not.toMatch(EPOCH_MS);

    const failedOnly = await cli(["deliveries", "--state", "failed"]);
    expect(failedOnly.stdout).toMatch(
      /^0 failed deliveries \(0 pending\) to http:\/\/127\.0\.0\.1:\d+\/api\/webhooks\/clerk\n$/,
    );

    const json = await cli(["deliveries", "--json"]);
    const parsed = JSON.parse(json.stdout) as { pending: number; data: Array<{ id: string }> };
    expect(parsed.data.find((r) => r.id === record.id)).toEqual(record);
  });

  it("say a pending retry is due in so many seconds", async () => {
    // Two failures: should the CLI start slower than Svix's 5 s retry, that retry fails too, and the row is
    // still pending, due in minutes.
    standIn.faults.setDeliveryFaults({ fail: 2 });
    const user = standIn.store.create({ email_address: ["retried@example.com"] });
    while (standIn.deliveries.records({ user_id: user.id })[0]?.attempts.length !== 1) await nextTurn();
    const record = standIn.deliveries.records({ user_id: user.id })[0];
    const table = await cli(["deliveries", "--state", "pending"]);
    const row = table.stdout.split("\n").find((line) => line.startsWith(record.id))!;
    // Svix's first retry comes 5 s after a failure ("now" once that has passed on a slow machine).
    expect(row).toMatch(
      / pending +(1 +simulated failure .* {2}(in [1-5] s|now)|2 +simulated failure .* {2}in [45] min)$/,
    );
    standIn.faults.clear();
  });
});

describe("clerk-stand-in seed, fault, wait, config and reset", () => {
  it("print a line or a small table; --json the control API's answer", async () => {
    const seeded = await cli(["seed", "--count", "2"]);
    expect(seeded.stdout).toBe("Seeded 2 users, without webhooks (--emit sends user.created).\n");
    expect(JSON.parse((await cli(["seed", "--count", "1", "--json"])).stdout)).toEqual({ seeded: 1 });

    const fault = await cli(["fault", "deliveries", "--drop", "1"]);
    expect(fault.stdout).toBe("Delivery faults: drop the next 1 message\nBackend API:     none\n");
    const api = await cli(["fault", "api", "--mode", "429", "--count", "2", "--retry-after", "3"]);
    expect(api.stdout).toContain("Backend API:     answer 429 with Retry-After 3 s to the next 2 requests");
    const cleared = await cli(["fault", "clear", "--json"]);
    expect(JSON.parse(cleared.stdout)).toEqual({
      deliveries: { fail: 0, drop: 0, duplicate: 0, reorder: 0 },
      api: null,
      hung_requests: 0,
    });

    expect((await cli(["wait"])).stdout).toBe("Every delivery has settled.\n");
    expect(JSON.parse((await cli(["wait", "--json"])).stdout)).toEqual({ idle: true, pending: 0 });

    const config = await cli(["config"]);
    expect(config.stdout).toMatch(new RegExp(`^Backend API +${standIn.url}$`, "m"));
    expect(config.stdout).toMatch(new RegExp(`^Secret key +${standIn.keys.secretKey}$`, "m"));
    expect(JSON.parse((await cli(["config", "--json"])).stdout)).toMatchObject({
      apiUrl: standIn.url,
      env: standIn.env(),
    });
  });

  it("reset with no stand-in running says there was nothing to erase", async () => {
    const args = ["reset", "--url", `http://127.0.0.1:${await closedPort()}`, "--state-file", join(workDir, "none.db")];
    expect((await cli(args)).stdout).toBe(
      `No stand-in running and no state file at ${join(workDir, "none.db")}: nothing to erase.\n`,
    );
    expect(JSON.parse((await cli([...args, "--json"])).stdout)).toEqual({
      ok: true,
      stateFile: join(workDir, "none.db"),
      erased: "nothing (no state file)",
    });
  });
});

describe("clerk-stand-in env", () => {
  it('prints export lines that `eval "$(npm run -s clerk:stand-in -- env)"` takes as they are', async () => {
    const command = `npm run -s clerk:stand-in -- env --url ${standIn.url} --token ${standIn.controlToken}`;
    const script = `eval "$(${command})" && printf '%s\\n' "$CLERK_API_URL" "$OFFLINE_MODE" "$CLERK_JWT_KEY"`;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile("bash", ["-c", script], { cwd: ROOT }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
      ),
    );
    expect(stderr).toBe("");
    expect(stdout).toBe(`${standIn.url}\n1\n${standIn.env().CLERK_JWT_KEY}\n`);
    expect(standIn.env().CLERK_JWT_KEY).toContain("BEGIN PUBLIC KEY");

    const json = await cli(["env", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({ ...standIn.env(), OFFLINE_MODE: "1" });
  });

  it("prints the same block `start` does", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "start", "--port", "0", "--ephemeral", "--token-file", "started.json"],
      {
        cwd: workDir,
      },
    );
    let printed = "";
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          printed += chunk;
          if (printed.includes("CLERK_STAND_IN_CONTROL_TOKEN=")) resolve();
        });
        child.once("exit", (code) =>
          reject(new Error(`the stand-in exited (${code}) before printing its environment`)),
        );
      });
      const url = /^export CLERK_API_URL='(.+)'$/m.exec(printed)![1];
      const env = await cli(["env", "--url", url, "--token-file", "started.json"]);
      expect(env.code).toBe(0);
      const block = printed.split("\n\n").find((part) => part.includes("export CLERK_API_URL="))!;
      expect(
        block
          .split("\n")
          .filter((line) => line.startsWith("export "))
          .join("\n"),
      ).toBe(env.stdout.trimEnd());
    } finally {
      child.kill("SIGTERM");
    }
  });
});
