// Loaded with `node --import` by tests that bound a command's memory: the process's peak RSS, as it exits.
process.on("exit", () => process.stderr.write(`peak-rss-bytes ${process.resourceUsage().maxRSS * 1024}\n`));
