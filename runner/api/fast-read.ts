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
import { auditRow, AuditWriter, type PreparedAuditRow } from "../auth/audit";
import { type Folder, permits, type Principal } from "../auth/principal";
import { folderKey } from "../services/secret-cache";
import type { SecretService } from "../services/secrets";
import type { SecretRecord } from "../store/rows";
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

/**
 * What a repeated read needs (apps poll the same URL with the same token): the answer's body and its audit row,
 * made once. It stays valid while the token is still this runner's cached principal (a revocation, expiry or
 * cache flush ends it) and the folder cache still holds the same sealed row (a change replaces the row). Keyed by
 * the token's hash, never the token.
 */
interface Memo {
  principal: Principal;
  /** folderKey() of the folder. */
  folder: string;
  key: string;
  record: SecretRecord;
  head: string[];
  body: string;
  audit: PreparedAuditRow;
}
const MEMO_MAX = 10_000;

/** Returns a handler that answers the request and returns true, or returns false having touched nothing. */
export function fastSecretRead(d: FastReadDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const memo = new Map<string, Memo>();
  const answer = (res: ServerResponse, m: Memo) => {
    res.writeHead(200, m.head);
    res.end(m.body);
    d.audit.addPrepared(m.audit);
    d.onRead?.("memory");
  };
  return (req, res) => {
    const url = req.url;
    if (req.method !== "GET" || !url?.startsWith(PREFIX)) return false;
    const h = authorizationHash(req.headers.authorization);
    if (!h) return false;
    const ip = req.socket.remoteAddress ?? null;
    const hex = h.toString("hex");
    const memoKey = `${hex} ${ip} ${url}`;
    const known = memo.get(memoKey);
    if (known && d.access.cached(h, hex) === known.principal && d.secrets.cachedRecord(known.folder, known.key) === known.record) {
      answer(res, known);
      return true;
    }
    const q = url.indexOf("?");
    const rawName = url.slice(PREFIX.length, q < 0 ? undefined : q);
    if (!rawName || rawName.includes("/")) return false;
    const principal = d.access.cached(h, hex);
    if (!principal) return false;
    let key: string;
    let folder: Folder;
    try {
      key = decodeURIComponent(rawName);
      const query = parseQuery(q < 0 ? "" : url.slice(q + 1));
      if (hasNul(key) || hasNul(query)) return false;
      folder = folderOf(query);
    } catch {
      return false;
    }
    if (!permits(principal, "read", folder)) return false;
    const fk = folderKey(folder);
    const record = d.secrets.cachedRecord(fk, key);
    if (!record) return false;
    const body = JSON.stringify({ secret: d.secrets.open(record) });
    const audit = AuditWriter.prepare(auditRow({ principal, action: "secrets.read", note: readOneNote(folder, key), resourceId: null, status: 200, ip }));
    const head = [...HEAD, "Content-Type", JSON_TYPE, "Content-Length", String(Buffer.byteLength(body))];
    const m: Memo = { principal, folder: fk, key, record, head, body, audit };
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(memoKey, m);
    answer(res, m);
    return true;
  };
}
