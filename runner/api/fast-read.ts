/**
 * The hot read — `GET /api/v3/secrets/raw/:name` by an app whose token this runner already knows — answered
 * before Express. Entering Express alone costs as much CPU as a whole bare Express route (measured in bench/:
 * a handler in Express's first middleware ran no faster than the bare route; the same handler on node:http
 * ran ~3× faster), and an app polling its secret is the one request a runner sees thousands of times.
 *
 * It answers only when everything is certain from memory: a live cached principal, a valid query, a folder
 * the principal may read, and the folder's rows in the live secret cache (the same cache and freshness rules
 * as the Express route). Anything else (no or unknown token, bad query, NUL, 403, 404, cache miss, HEAD)
 * is left untouched for the Express app, the one place errors, rate limits and store reads are defined.
 * The response (status, headers, body) and the audit row are the Express route's; a test compares them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { AccessService } from "../auth/access";
import { auditRow, type AuditWriter } from "../auth/audit";
import { permits } from "../auth/principal";
import type { SecretService } from "../services/secrets";
import { API_HEADERS, JSON_TYPE } from "./headers";
import { authorizationHash, hasNul } from "./http";
import { folderOf, readOneNote } from "./secrets";

const PREFIX = "/api/v3/secrets/raw/";
const HEAD = [...API_HEADERS].flat();

export interface FastReadDeps {
  access: AccessService;
  secrets: SecretService;
  audit: AuditWriter;
  /** Counts reads by how they were served (metrics). */
  onRead?: (path: "memory" | "api") => void;
}

/** Returns a handler that answers the request and returns true, or returns false having touched nothing. */
export function fastSecretRead(d: FastReadDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url;
    if (req.method !== "GET" || !url?.startsWith(PREFIX)) return false;
    const q = url.indexOf("?");
    const rawName = url.slice(PREFIX.length, q < 0 ? undefined : q);
    if (!rawName || rawName.includes("/")) return false;
    const h = authorizationHash(req.headers.authorization);
    const principal = h ? d.access.cached(h) : undefined;
    if (!principal) return false;
    let key: string;
    let folder;
    try {
      key = decodeURIComponent(rawName);
      const query = parseQuery(q < 0 ? "" : url.slice(q + 1));
      if (hasNul(key) || hasNul(query)) return false;
      folder = folderOf(query);
    } catch {
      return false;
    }
    if (!permits(principal, "read", folder)) return false;
    const secret = d.secrets.cached(folder, key);
    if (!secret) return false;
    const body = JSON.stringify({ secret });
    res.writeHead(200, [...HEAD, "Content-Type", JSON_TYPE, "Content-Length", String(Buffer.byteLength(body))]);
    res.end(body);
    d.audit.add(auditRow({ principal, action: "secrets.read", note: readOneNote(folder, key), resourceId: null, status: 200, ip: req.socket.remoteAddress ?? null }));
    d.onRead?.("memory");
    return true;
  };
}
