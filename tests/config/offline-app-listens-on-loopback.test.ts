import { networkInterfaces } from "node:os";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startOfflineClerk, type OfflineClerk } from "../../scripts/offline-env";
import { freePort, startBuiltApp, type RunningApp } from "../support/app-server";

/**
 * `npm run dev` and `npm run start:offline` run the app on a stand-in whose
 * sessions anyone with the demo password can mint: the app must not be
 * reachable from the network unless HOST says so.
 */

const started: { offline?: OfflineClerk; app?: RunningApp } = {};
const saved = process.env.HOST;

afterAll(async () => {
  process.env.HOST = saved;
  await started.app?.stop();
  await started.offline?.close();
});

const nonLoopbackAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === "IPv4")?.address;

/** Whether anything accepts a connection at this address: a status, or the connection error's code. */
async function reach(url: string): Promise<string> {
  try {
    return String((await fetch(url)).status);
  } catch (error) {
    return String((error as { cause?: { code?: string } }).cause?.code ?? error);
  }
}

describe("the offline launcher's app listens on 127.0.0.1 unless HOST says otherwise", () => {
  it("gives the app HOST=127.0.0.1 by default, and keeps an explicit HOST", async () => {
    delete process.env.HOST;
    const offline = (started.offline = await startOfflineClerk({
      port: 0,
      appPort: await freePort(),
      seedDemoUser: false,
    }));
    expect(offline.env.HOST).toBe("127.0.0.1");
    process.env.HOST = "0.0.0.0";
    const explicit = await startOfflineClerk({ port: 0, appPort: await freePort(), seedDemoUser: false });
    await explicit.close();
    expect(explicit.env.HOST).toBe("0.0.0.0");
  });

  it.skipIf(!nonLoopbackAddress)(
    "the production build run with that environment answers on loopback, not on the machine's network address",
    async () => {
      const app = (started.app = await startBuiltApp({
        ...started.offline!.env,
        DATABASE_URL: join(mkdtempSync(join(tmpdir(), "clerk-sync-loopback-")), "app.db"),
        LOG_LEVEL: "warn",
      }));
      const appPort = new URL(app.url).port;
      expect(await reach(`${app.url}/healthz`)).toBe("200");
      expect(await reach(`http://${nonLoopbackAddress}:${appPort}/healthz`)).toBe("ECONNREFUSED");
    },
  );
});
