import { describe, expect, test } from "vitest";
import { generateUsers, StandInError, UserStore, type UserChange } from "../src/index.js";
import { bapiSpec } from "./support/openapi-schemas.js";

function storeWithEvents() {
  const store = new UserStore();
  const changes: UserChange[] = [];
  store.on((change) => changes.push(change));
  return { store, changes };
}

describe("UserStore", () => {
  test("creates users in Clerk's BAPI User shape", () => {
    const { store } = storeWithEvents();
    const user = store.create({ email_address: ["Mixed.Case@Example.com"], first_name: "Mixed", username: "mixed" });
    bapiSpec().assertSchema("User", user);
    expect(user).toMatchObject({
      object: "user",
      primary_email_address_id: user.email_addresses[0].id,
      email_addresses: [
        {
          object: "email_address",
          email_address: "mixed.case@example.com",
          verification: { status: "verified", strategy: "admin" },
          linked_to: [],
        },
      ],
      public_metadata: {},
      private_metadata: {},
      unsafe_metadata: {},
    });
    expect(user.id).toMatch(/^user_[0-9A-Za-z]{27}$/);
    expect(user.email_addresses[0].id).toMatch(/^idn_[0-9A-Za-z]{27}$/);
    expect(user.image_url.startsWith("data:")).toBe(true);
  });

  test("updated_at strictly increases on every change, even within one millisecond", () => {
    const { store } = storeWithEvents();
    let user = store.create({ first_name: "Tick" });
    const stamps = [user.updated_at];
    for (let i = 0; i < 50; i++) {
      user = store.update(user.id, { first_name: `Tick${i}` });
      stamps.push(user.updated_at);
    }
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
  });

  test("emits created, updated and deleted changes with their context; seed stays silent unless asked", () => {
    const { store, changes } = storeWithEvents();
    const user = store.create({ first_name: "Ev" }, { source: "fapi", userAgent: "Browser", clientIp: "10.0.0.1" });
    store.update(user.id, { last_name: "Ent" });
    store.delete(user.id, { source: "control" });
    expect(changes.map((c) => c.type)).toEqual(["user.created", "user.updated", "user.deleted"]);
    expect(changes[0].context).toEqual({ source: "fapi", userAgent: "Browser", clientIp: "10.0.0.1" });
    expect(changes[2]).toMatchObject({ type: "user.deleted", id: user.id });

    store.seed([{ first_name: "Quiet" }]);
    expect(changes).toHaveLength(3);
    store.seed([{ first_name: "Loud" }], { emit: true });
    expect(changes.at(-1)).toMatchObject({ type: "user.created", user: { first_name: "Loud" } });
  });

  test("hashes passwords and verifies them", () => {
    const { store } = storeWithEvents();
    const user = store.create({ email_address: ["pw@example.com"], password: "hunter2hunter2" });
    expect(user.password_enabled).toBe(true);
    expect(JSON.stringify(user)).not.toContain("hunter2");
    expect(store.verifyPassword(user.id, "hunter2hunter2")).toBe(true);
    expect(store.verifyPassword(user.id, "wrong-password")).toBe(false);
    store.update(user.id, { password: "another-password" });
    expect(store.verifyPassword(user.id, "another-password")).toBe(true);
    expect(() => store.update(user.id, { password: "short" })).toThrow(StandInError);
  });

  test("rejects a taken email or username with 422 form_identifier_exists, and frees them on delete", () => {
    const { store } = storeWithEvents();
    const first = store.create({ email_address: ["one@example.com"], username: "first_user" });
    const attempt = () => store.create({ email_address: ["ONE@example.com"] });
    expect(attempt).toThrow(expect.objectContaining({ status: 422, code: "form_identifier_exists" }));
    expect(() => store.create({ username: "FIRST_USER" })).toThrow(
      expect.objectContaining({ code: "form_identifier_exists" }),
    );
    store.delete(first.id);
    expect(store.create({ email_address: ["one@example.com"], username: "first_user" }).id).not.toBe(first.id);
  });

  test("finds users by email or username, case-insensitively", () => {
    const { store } = storeWithEvents();
    const user = store.create({ email_address: ["find@example.com"], username: "finder" });
    expect(store.findByIdentifier("FIND@example.com")?.id).toBe(user.id);
    expect(store.findByIdentifier("Finder")?.id).toBe(user.id);
    expect(store.findByIdentifier("nobody@example.com")).toBeUndefined();
  });

  test("primary_email_address replaces the primary email and releases the old one", () => {
    const { store } = storeWithEvents();
    const user = store.create({ email_address: ["old@example.com"] });
    const updated = store.update(user.id, { primary_email_address: "new@example.com" });
    expect(updated.email_addresses.map((e) => e.email_address)).toEqual(["new@example.com"]);
    expect(updated.primary_email_address_id).toBe(updated.email_addresses[0].id);
    expect(store.findByIdentifier("old@example.com")).toBeUndefined();
    expect(store.create({ email_address: ["old@example.com"] }).id).not.toBe(user.id);
  });

  test("a rejected update changes nothing", () => {
    const { store, changes } = storeWithEvents();
    store.create({ username: "taken_name" });
    const user = store.create({ username: "mine_name", first_name: "Keep" });
    expect(() => store.update(user.id, { first_name: "Lost", username: "taken_name" })).toThrow();
    expect(store.get(user.id)).toMatchObject({ first_name: "Keep", username: "mine_name" });
    expect(changes.filter((c) => c.type === "user.updated")).toHaveLength(0);
  });

  test("update and delete of a missing user throw 404 resource_not_found", () => {
    const { store } = storeWithEvents();
    expect(() => store.update("user_missing", {})).toThrow(
      expect.objectContaining({ status: 404, code: "resource_not_found" }),
    );
    expect(() => store.delete("user_missing")).toThrow(expect.objectContaining({ status: 404 }));
  });

  test("returned users are copies: mutating one does not touch the store", () => {
    const { store } = storeWithEvents();
    const user = store.create({ first_name: "Original", public_metadata: { a: 1 } });
    user.first_name = "Mutated";
    user.public_metadata.a = 2;
    expect(store.get(user.id)).toMatchObject({ first_name: "Original", public_metadata: { a: 1 } });
  });

  test("holds 100,000 users and pages through them with deep offsets", () => {
    const store = new UserStore();
    store.seed(generateUsers({ count: 100_000 }));
    expect(store.count()).toBe(100_000);
    const seen = new Set<string>();
    for (let offset = 0; offset < 100_000; offset += 500) {
      for (const user of store.list({ limit: 500, offset })) seen.add(user.id);
    }
    expect(seen.size).toBe(100_000);
  });
});
