import { randomBytes } from "node:crypto";
import { newId } from "./ids.js";
import { createInstanceKeys, type InstanceKeys } from "./keys.js";
import type { Logger } from "./logger.js";
import { StateFile } from "./store/state-file.js";

export interface InstanceOptions {
  /** SQLite file holding the stand-in's state; absent = memory only. */
  stateFile?: string;
  webhookSecret?: string;
  instanceId?: string;
  secretKey?: string;
}

/** Who this stand-in is: the secrets an app's .env holds, remembered when there is a state file. */
export interface Instance {
  stateFile: StateFile | null;
  webhookSecret: string;
  instanceId: string;
  /** The key pair and kid come back from the state file; the publishable key names this start's host. */
  createKeys(options: { frontendHost: string; live: boolean }): InstanceKeys;
}

/** Options given now win over saved values (and replace them); saved values win over fresh ones. */
export function openInstance(options: InstanceOptions, logger: Logger): Instance {
  const stateFile = options.stateFile ? StateFile.open(options.stateFile, logger) : null;
  const saved = stateFile?.instance() ?? {};
  const webhookSecret = options.webhookSecret ?? saved.webhookSecret ?? `whsec_${randomBytes(24).toString("base64")}`;
  const instanceId = options.instanceId ?? saved.instanceId ?? newId("ins");
  stateFile?.saveInstance({ webhookSecret, instanceId });
  if (stateFile && saved.kid) logger.info(`state from ${stateFile.path} (kid ${saved.kid})`);

  return {
    stateFile,
    webhookSecret,
    instanceId,
    createKeys({ frontendHost, live }) {
      const keys = createInstanceKeys({
        frontendHost,
        live,
        // A real instance's keys come in pairs of one kind: a saved sk_live_ is not reused for a --test start.
        secretKey:
          options.secretKey ??
          (saved.secretKey?.startsWith(live ? "sk_live_" : "sk_test_") ? saved.secretKey : undefined),
        privateKeyPem: saved.privateKeyPem,
        kid: saved.kid,
      });
      stateFile?.saveInstance({ secretKey: keys.secretKey, kid: keys.kid, privateKeyPem: keys.privateKeyPem() });
      return keys;
    },
  };
}
