// /etc/hosts for a test's process tree (NODE_OPTIONS=--import): names under fake-clerk.test resolve to
// 127.0.0.1, so the app and the scripts reach the test's fake Clerk by a name that is not loopback, the way
// they reach Clerk. Every other name resolves as usual.
import dns from "node:dns";

const lookup = dns.lookup;
dns.lookup = function lookupWithTestHosts(hostname, options, callback) {
  if (!/(^|\.)fake-clerk\.test$/i.test(String(hostname))) return lookup.call(this, hostname, options, callback);
  const done = typeof options === "function" ? options : callback;
  const all = typeof options === "object" && options?.all;
  process.nextTick(() => (all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4)));
};
