import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * What a process tree holds, read from Linux's /proc: its processes, the files they have open and the
 * addresses they listen on. Tests use it to prove a stop left nothing behind.
 */

function parentOf(pid: number): number | null {
  try {
    // The command name, in parentheses, may hold spaces: the fields after its closing one are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The process and every descendant alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const parent = parentOf(pid);
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  if (parentOf(root) !== null) visit(root);
  return tree;
}

export function isAlive(pid: number): boolean {
  try {
    // A zombie has exited: only its exit status is left for the parent to collect.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function fdTargets(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    });
  } catch {
    return [];
  }
}

/** Processes (of any tree) that have this file open. */
export function processesWithFileOpen(path: string): number[] {
  return allPids().filter((pid) => fdTargets(pid).includes(path));
}

function hexAddress(hex: string): string {
  if (hex.length === 8)
    return hex
      .match(/../g)!
      .reverse()
      .map((byte) => parseInt(byte, 16))
      .join(".");
  // IPv6: four 32-bit words, each little-endian.
  const words = hex.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join(""));
  const groups = words.join("").match(/.{4}/g)!;
  return groups.join(":").replace(/\b0{1,3}/g, "");
}

/** `address:port` of every TCP socket in LISTEN state that one of these processes holds. */
export function listeningAddresses(pids: number[]): string[] {
  const inodes = new Set(
    pids.flatMap((pid) => fdTargets(pid).flatMap((target) => /^socket:\[(\d+)\]$/.exec(target)?.[1] ?? [])),
  );
  const found: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, port] = fields[1].split(":");
      if (fields[3] === "0A" && inodes.has(fields[9])) found.push(`${hexAddress(address)}:${parseInt(port, 16)}`);
    }
  }
  return found;
}
