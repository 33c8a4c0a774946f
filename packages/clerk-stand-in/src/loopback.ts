/** localhost, *.localhost, 127.0.0.0/8 and [::1]: names that can only mean this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (name === "[::1]" || name === "::1") return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * The host name of a `Host` header (`name[:port]`, `[v6]:port`), or null
 * when the header is absent or not a host.
 */
export function hostnameOfHostHeader(host: string | undefined): string | null {
  if (!host) return null;
  try {
    const url = new URL(`http://${host}`);
    // A Host with a path, credentials or other junk is not a host.
    if (url.host !== host.toLowerCase() && `${url.host}:80` !== host.toLowerCase()) return null;
    return url.hostname;
  } catch {
    return null;
  }
}
