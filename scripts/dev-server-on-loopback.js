// Loaded into `remix dev` by `npm run dev` (NODE_OPTIONS=--import). Remix's dev server (rebuild notices, live
// reload and its WebSocket, port 3001 and up) listens on every interface and has no setting for its address;
// this makes a listen() that names no host use 127.0.0.1, so nothing on the network reaches it. A listen()
// that names its host (remix-serve with HOST) is left as it is.
import { Server } from "node:net";

const listen = Server.prototype.listen;
Server.prototype.listen = function listenOnLoopbackByDefault(...args) {
  const [first, second] = args;
  if (typeof first === "number" && typeof second !== "string") args.splice(1, 0, "127.0.0.1");
  else if (first && typeof first === "object" && "port" in first && first.host === undefined && !first.path) {
    args[0] = { ...first, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
