import { isLoopbackHost } from "../loopback.js";
import { DEFAULT_CONTROL_TOKEN_FILE, readControlTokenFile } from "./control-token.js";

/**
 * How the CLI finds a running stand-in and its control token, and what it
 * says when it cannot: every failure names the URL it tried and how to
 * point the CLI elsewhere.
 */

export const DEFAULT_STAND_IN_URL = "http://127.0.0.1:4010";

export interface ControlTarget {
  url: string;
  /** Where the URL came from, for messages: "--url", "CLERK_STAND_IN_URL", … */
  urlSource: string;
  token: string | undefined;
  tokenSource: string | undefined;
}

export interface TargetInputs {
  url?: string;
  token?: string;
  tokenFile?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * URL: --url, $CLERK_STAND_IN_URL, $CLERK_STAND_IN_PORT, the token file a
 * launcher wrote, http://127.0.0.1:4010. Token: --token,
 * $CLERK_STAND_IN_CONTROL_TOKEN, the token file when it names the same URL.
 */
export function resolveControlTarget(inputs: TargetInputs): ControlTarget {
  const env = inputs.env ?? process.env;
  const tokenFile = inputs.tokenFile ?? DEFAULT_CONTROL_TOKEN_FILE;
  const record = readControlTokenFile(tokenFile);
  let url: string;
  let urlSource: string;
  if (inputs.url) [url, urlSource] = [inputs.url, "--url"];
  else if (env.CLERK_STAND_IN_URL) [url, urlSource] = [env.CLERK_STAND_IN_URL, "CLERK_STAND_IN_URL"];
  else if (env.CLERK_STAND_IN_PORT)
    [url, urlSource] = [`http://127.0.0.1:${env.CLERK_STAND_IN_PORT}`, "CLERK_STAND_IN_PORT"];
  else if (record) [url, urlSource] = [record.url, tokenFile];
  else [url, urlSource] = [DEFAULT_STAND_IN_URL, "the default"];

  if (inputs.token) return { url, urlSource, token: inputs.token, tokenSource: "--token" };
  if (env.CLERK_STAND_IN_CONTROL_TOKEN) {
    return { url, urlSource, token: env.CLERK_STAND_IN_CONTROL_TOKEN, tokenSource: "CLERK_STAND_IN_CONTROL_TOKEN" };
  }
  if (record && sameOrigin(record.url, url)) return { url, urlSource, token: record.token, tokenSource: tokenFile };
  return { url, urlSource, token: undefined, tokenSource: undefined };
}

export async function callControl(
  target: ControlTarget,
  path: string,
  method = "GET",
  body?: unknown,
): Promise<unknown> {
  let endpoint: URL;
  try {
    endpoint = new URL(path, target.url);
  } catch {
    throw new Error(`${JSON.stringify(target.url)} (${target.urlSource}) is not a URL. ${HOW_TO_POINT_ELSEWHERE}`);
  }
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method,
      headers: {
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? String(error);
    // The cause stays attached: callers tell "nothing listening" (ECONNREFUSED) from other failures.
    throw new Error(
      `Could not reach the Clerk stand-in at ${target.url} (${reason}; URL from ${target.urlSource}). ` +
        `Is it running (npm run dev, or npm run clerk:stand-in)? ${HOW_TO_POINT_ELSEWHERE}`,
      { cause: cause ?? error },
    );
  }
  const text = await response.text();
  let result: unknown;
  try {
    result = text ? JSON.parse(text) : null;
  } catch {
    throw new Error(
      `${target.url} answered ${method} ${path} with ${response.status} and no JSON: is something other than the Clerk stand-in listening there? ${HOW_TO_POINT_ELSEWHERE}`,
    );
  }
  if (response.status === 401) {
    const hint = target.token
      ? `The stand-in at ${target.url} refused the control token from ${target.tokenSource}: it belongs to another run.`
      : `The stand-in at ${target.url} needs its control token and none was found.`;
    throw new Error(
      `${hint} Pass --token <token> or set CLERK_STAND_IN_CONTROL_TOKEN (the launcher prints it); ` +
        `npm run dev and clerk-stand-in start write it to ${DEFAULT_CONTROL_TOKEN_FILE}, which the CLI reads when run from the repository root.`,
    );
  }
  if (!response.ok) throw new Error(`${method} ${target.url}${path} → ${response.status}: ${JSON.stringify(result)}`);
  return result;
}

const HOW_TO_POINT_ELSEWHERE =
  "To use another stand-in: --url http://127.0.0.1:<port>, or set CLERK_STAND_IN_URL, or CLERK_STAND_IN_PORT.";

/** One stand-in under two loopback names (127.0.0.1 and localhost) is still one stand-in. */
function sameOrigin(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    const sameHost = x.hostname === y.hostname || (isLoopbackHost(x.hostname) && isLoopbackHost(y.hostname));
    return x.protocol === y.protocol && x.port === y.port && sameHost;
  } catch {
    return false;
  }
}
