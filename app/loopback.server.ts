import { BlockList, isIP } from "node:net";

/**
 * "This machine", decided by parsing, never by matching spellings: the WHATWG
 * URL parser (what browsers and Clerk's SDKs use) turns `127.1`, `0x7f000001`,
 * `2130706433`, `0177.0.0.1`, `[0:0:0:0:0:0:0:1]` and full-width letters into one
 * canonical host, and a BlockList matches addresses against subnets, IPv4-mapped
 * IPv6 (`[::ffff:127.0.0.1]`) included. A name that only DNS maps to loopback
 * (nip.io, a custom hosts file) cannot be known from its text.
 */

const ADDRESSES = new BlockList();
ADDRESSES.addSubnet("127.0.0.0", 8, "ipv4");
ADDRESSES.addAddress("::1", "ipv6");
// The unspecified addresses: connecting to them reaches this machine.
ADDRESSES.addAddress("0.0.0.0", "ipv4");
ADDRESSES.addAddress("::", "ipv6");

// RFC 6761's localhost, and the loopback names Debian's and Red Hat's /etc/hosts ship.
const NAMES = new Set(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"]);

/** The canonical host name of `host[:port][/path]` or of an absolute URL; null when it has none. */
export function hostnameOf(hostOrUrl: string): string | null {
  const text = hostOrUrl.trim();
  try {
    return new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `http://${text}`).hostname || null;
  } catch {
    return null;
  }
}

/** True when the host (a name or address, with or without port, or a whole URL) can only mean this machine. */
export function isThisMachine(hostOrUrl: string): boolean {
  const hostname = hostnameOf(hostOrUrl);
  if (hostname === null) return false;
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  const family = isIP(bare);
  if (family !== 0) return ADDRESSES.check(bare, family === 4 ? "ipv4" : "ipv6");
  const name = bare.replace(/\.$/, "");
  return NAMES.has(name) || name.endsWith(".localhost");
}
