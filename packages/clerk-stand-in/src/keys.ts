import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { base62 } from "./ids.js";

export interface JsonWebKeyWithKid {
  kid: string;
  kty: "RSA";
  alg: "RS256";
  use: "sig";
  n: string;
  e: string;
}

export interface InstanceKeys {
  kid: string;
  secretKey: string;
  publishableKey: string;
  publicKeyPem: string;
  /** The PEM on one line (headers kept): @clerk/backend strips newlines anyway, and one line survives .env files and `export`. */
  publicKeyPemSingleLine: string;
  jwks(): { keys: JsonWebKeyWithKid[] };
  /** PKCS#8 PEM, for the state file: the same pair after a restart keeps issued tokens and CLERK_JWT_KEY valid. */
  privateKeyPem(): string;
  signJwt(payload: Record<string, unknown>, headerExtras?: Record<string, unknown>): string;
}

/**
 * Clerk encodes the Frontend API host in the publishable key:
 * `pk_<env>_` + base64("<host>$"). The server SDK decodes it to find the
 * issuer, so the host here must be the one the browser reaches.
 */
export function publishableKeyFor(host: string, live = false): string {
  return `pk_${live ? "live" : "test"}_${Buffer.from(`${host}$`).toString("base64")}`;
}

export interface KeyOptions {
  frontendHost?: string;
  live?: boolean;
  /** Reuse a key pair (PKCS#8 PEM) so tokens survive a restart; a fresh one otherwise. */
  privateKeyPem?: string;
  /** Reuse the key id with the pair, or JWKS consumers holding the old kid refetch for nothing. */
  kid?: string;
  secretKey?: string;
}

export function createInstanceKeys(options: KeyOptions = {}): InstanceKeys {
  const privateKey: KeyObject = options.privateKeyPem
    ? createPrivateKey(options.privateKeyPem)
    : generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const publicKey = createPublicKey(privateKey);
  const kid = options.kid ?? `ins_${base62(27)}`;
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };

  return {
    kid,
    // A real instance's keys come in pairs of the same kind.
    secretKey: options.secretKey ?? `sk_${options.live ? "live" : "test"}_${base62(40)}`,
    publishableKey: publishableKeyFor(options.frontendHost ?? "clerk.stand-in.localhost", options.live),
    publicKeyPem,
    publicKeyPemSingleLine: publicKeyPem.replace(/\r?\n/g, ""),
    privateKeyPem: () => privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    jwks: () => ({ keys: [{ kid, kty: "RSA", alg: "RS256", use: "sig", n: jwk.n, e: jwk.e }] }),
    signJwt(payload, headerExtras = {}) {
      const header = { alg: "RS256", typ: "JWT", kid, ...headerExtras };
      const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
      const signature = sign("RSA-SHA256", Buffer.from(signingInput), privateKey);
      return `${signingInput}.${signature.toString("base64url")}`;
    },
  };
}

function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}
