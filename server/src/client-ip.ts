import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import proxyaddr from "proxy-addr";
import type { Config } from "./config";

/**
 * The client's address, with Express's TRUST_PROXY semantics: behind a trusted proxy it comes from
 * X-Forwarded-For, which is only as honest as that proxy. Anything that is not an IP address is
 * ignored. Used for the audit trail and for per-IP rate limits.
 */
export function clientIpResolver(trustProxy: Config["http"]["trustProxy"]): (req: IncomingMessage) => string {
  // Trusting no proxy (the default): the socket's peer, without parsing X-Forwarded-For on every
  // request, verification's hot path included.
  if (trustProxy === false) return (req) => req.socket.remoteAddress ?? "unknown";
  const trust = compileTrust(trustProxy);
  return (req) => {
    const forwarded = proxyaddr(req, trust);
    if (isIP(forwarded)) return forwarded;
    return req.socket.remoteAddress ?? "unknown";
  };
}

function compileTrust(setting: Config["http"]["trustProxy"]): (address: string, hop: number) => boolean {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  return proxyaddr.compile(setting.split(",").map((part) => part.trim()));
}
