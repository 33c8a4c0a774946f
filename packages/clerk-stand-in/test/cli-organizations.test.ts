import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";

/**
 * The organization commands as a developer runs them, in a child process
 * against a stand-in in this one (execFile, so its event loop stays free).
 */

const BIN = fileURLToPath(new URL("../bin/clerk-stand-in.js", import.meta.url));
let standIn: ClerkStandIn;
let workDir: string;
let endpoint: Server;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "stand-in-cli-orgs-"));
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

function cli(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env };
    for (const name of ["CLERK_STAND_IN_URL", "CLERK_STAND_IN_PORT", "CLERK_STAND_IN_CONTROL_TOKEN"]) delete env[name];
    // The URL and token come from the file the stand-in wrote in ./data, as with `npm run dev`.
    execFile(process.execPath, [BIN, ...args], { cwd: workDir, env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function ok(args: string[]): Promise<string> {
  const result = await cli(args);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
}

const READABLE_TIME = /\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b/;
const EPOCH_MS = /\b1\d{12}\b/;
const BASE64_RUN = /[A-Za-z0-9+/]{60,}/;

describe("clerk-stand-in org and member", () => {
  it("create an organization, add a member, change their role, remove them, rename and delete it, in a line each", async () => {
    const ada = standIn.store.create({ email_address: ["ada@example.com"], first_name: "Ada", last_name: "King" });
    const grace = standIn.store.create({ email_address: ["grace@example.com"], first_name: "Grace" });

    const created = await ok(["org", "create", "Acme Corp", "--by", ada.id]);
    const org = standIn.organizations.get("acme-corp")!;
    expect(created).toBe(
      `Created ${org.id}: Acme Corp (slug acme-corp), with ${ada.id} as its admin. ` +
        "The app hears organization.created and organizationMembership.created.\n",
    );
    expect(standIn.organizations.getMembership(org.id, ada.id)?.role).toBe("org:admin");

    expect(await ok(["member", "add", "acme-corp", grace.id])).toBe(
      `Added Grace <grace@example.com> (${grace.id}) to Acme Corp as member. The app hears organizationMembership.created.\n`,
    );
    expect(await ok(["member", "role", org.id, grace.id, "admin"])).toBe(
      `Grace <grace@example.com> (${grace.id}) is now admin in Acme Corp. The app hears organizationMembership.updated.\n`,
    );
    expect(standIn.organizations.getMembership(org.id, grace.id)?.role).toBe("org:admin");
    expect(await ok(["member", "remove", org.id, grace.id])).toBe(
      `Removed Grace <grace@example.com> (${grace.id}) from Acme Corp. The app hears organizationMembership.deleted.\n`,
    );
    expect(standIn.organizations.getMembership(org.id, grace.id)).toBeUndefined();

    expect(await ok(["org", "update", org.id, "--name", "Acme Inc", "--slug", "acme"])).toBe(
      `Updated ${org.id}: Acme Inc (slug acme). The app hears organization.updated.\n`,
    );
    expect(await ok(["org", "delete", "acme"])).toBe(
      `Deleted ${org.id} and its memberships. The app hears organization.deleted.\n`,
    );
    expect(standIn.organizations.get(org.id)).toBeUndefined();

    await standIn.deliveries.waitForIdle();
    expect(standIn.deliveries.records({ organization_id: org.id }).map((record) => record.type)).toEqual([
      "organization.created",
      "organizationMembership.created",
      "organizationMembership.created",
      "organizationMembership.updated",
      "organizationMembership.deleted",
      "organization.updated",
      "organization.deleted",
    ]);
  });

  it("--json prints the control API's answer as it is", async () => {
    const user = standIn.store.create({ email_address: ["json@example.com"] });
    const org = JSON.parse(await ok(["org", "create", "Json Works", "--slug", "json-works", "--json"]));
    expect(org).toEqual(standIn.organizations.get(org.id));
    const membership = JSON.parse(await ok(["member", "add", "json-works", user.id, "--role", "admin", "--json"]));
    expect(membership).toEqual(standIn.organizations.getMembership(org.id, user.id));
    expect(membership).toMatchObject({ role: "org:admin", organization: { id: org.id, members_count: 1 } });
    const deleted = JSON.parse(await ok(["org", "delete", org.id, "--json"]));
    expect(deleted).toEqual({ object: "organization", id: org.id, deleted: true });
  });

  it("say what is missing or wrong instead of calling the stand-in", async () => {
    const cases: Array<[string[], string]> = [
      [["org", "create"], "org create needs a name"],
      [["org", "update", "whatever"], "--name, --slug"],
      [["org", "rename"], "org needs one of create, update, delete"],
      [["member", "add"], "member add needs an organization"],
      [["member", "add", "acme"], "member add needs a user"],
      [["member", "role", "acme", "user_x"], "member role needs a role"],
      [["member", "role", "acme", "user_x", "owner"], 'role must be admin or member, not "owner"'],
      [["members"], "members needs an organization"],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
    }
    const missing = await cli(["org", "delete", "org_missing"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("404");
  });
});

describe("clerk-stand-in orgs, members and deliveries", () => {
  it("list organizations and members as tables with readable times and no images; --json the control API's answer", async () => {
    const ada = standIn.store.create({
      email_address: ["ada.table@example.com"],
      first_name: "Ada",
      last_name: "Table",
    });
    const org = standIn.organizations.create({ name: "Tabled Org", created_by: ada.id });
    expect(org.image_url).toMatch(/^data:/);

    const orgs = await ok(["orgs"]);
    expect(orgs).toMatch(new RegExp(`^${standIn.organizations.size} organizations?; times in UTC\n`));
    expect(orgs).toMatch(/^ID +SLUG +NAME +MEMBERS +CREATED +UPDATED$/m);
    const row = orgs.split("\n").find((line) => line.startsWith(org.id))!;
    expect(row.split(/ {2,}/).slice(0, 5)).toEqual([
      org.id,
      "tabled-org",
      "Tabled Org",
      "1",
      new Date(org.created_at).toISOString().slice(0, 19).replace("T", " "),
    ]);
    for (const text of [orgs]) {
      expect(text).not.toContain("data:");
      expect(text).not.toMatch(BASE64_RUN);
      expect(text).not.toMatch(EPOCH_MS);
    }
    const orgsJson = JSON.parse(await ok(["orgs", "--json"]));
    expect(orgsJson.total_count).toBe(standIn.organizations.size);
    expect(orgsJson.data.find((o: { id: string }) => o.id === org.id)).toEqual(
      standIn.organizations.get(org.id, { membersCount: true }),
    );

    const members = await ok(["members", "tabled-org"]);
    expect(members).toMatch(/^1 member of Tabled Org \(tabled-org\); times in UTC\n/);
    expect(members).toMatch(/^USER +IDENTIFIER +NAME +ROLE +JOINED +UPDATED$/m);
    const member = members.split("\n").find((line) => line.startsWith(ada.id))!;
    expect(member.split(/ {2,}/).slice(0, 4)).toEqual([ada.id, "ada.table@example.com", "Ada Table", "admin"]);
    expect(member).toMatch(READABLE_TIME);
    expect(members).not.toMatch(BASE64_RUN);
    expect(members).not.toMatch(EPOCH_MS);

    await standIn.deliveries.waitForIdle();
    const deliveries = await ok(["deliveries"]);
    expect(deliveries).toMatch(
      /^ID +EVENT +USER +ORGANIZATION +STATE +ATTEMPTS +LAST STATUS +LAST ATTEMPT +NEXT ATTEMPT$/m,
    );
    const created = standIn.deliveries.records({ organization_id: org.id, type: "organization.created" })[0];
    const deliveryRow = deliveries.split("\n").find((line) => line.startsWith(created.id))!;
    expect(deliveryRow.split(/ {2,}/).slice(0, 5)).toEqual([
      created.id,
      "organization.created",
      "—",
      org.id,
      "succeeded",
    ]);
  });

  it("reset names the organizations and memberships it erased", async () => {
    const user = standIn.store.create({ email_address: ["reset@example.com"] });
    standIn.organizations.create({ name: "Erased", created_by: user.id });
    const organizations = standIn.organizations.size;
    const memberships = standIn.organizations.membershipCount;
    const users = standIn.store.size;
    const reset = await ok(["reset"]);
    expect(reset).toMatch(
      new RegExp(
        `^Reset the running stand-in: erased ${users} users?, ${organizations} organizations?, ` +
          `${memberships} memberships? and \\d+ deliver(y|ies), cleared the faults; the keys stay\\.\n$`,
      ),
    );
    expect(standIn.organizations.size).toBe(0);
    expect(standIn.organizations.membershipCount).toBe(0);
  });
});
