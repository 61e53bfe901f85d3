/**
 * The hot read — `GET /api/v3/secrets/raw/:name` by an app whose token this runner already knows — answered
 * before Express. Entering Express alone costs as much CPU as a whole bare Express route (measured in bench/:
 * a handler in Express's first middleware ran no faster than the bare route; the same handler on node:http
 * ran ~3× faster), and an app polling its secret is the one request a runner sees thousands of times.
 *
 * It answers only when everything is certain from memory: a live cached principal, a valid query, a folder
 * the principal may read, and the folder's rows in the live secret cache (the same cache and freshness rules
 * as the Express route). Anything else (no or unknown token, bad query, NUL, 403, 404, cache miss, HEAD)
 * is left untouched for the Express app, the one place errors and store reads are defined. It calls the same
 * functions as the API's middleware and route (api/pipeline.ts names each step and what it does about it):
 * the headers, the limiter's test for a known-valid token, the token lookup, the NUL check, the query's
 * folder, the scope check and the audit row. The response (status, headers, body) and the audit row are the
 * Express route's; a test compares them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { AccessService } from "../auth/access";
import { auditRow, AuditWriter, type PreparedAuditRow } from "../auth/audit";
import { authorize, type Folder, type Principal } from "../auth/principal";
import { folderKey } from "../services/secret-cache";
import type { SecretService } from "../services/secrets";
import type { SecretRecord } from "../store/rows";
import { etagOf, noneMatch } from "./etag";
import { API_HEADERS, JSON_TYPE } from "./headers";
import { authorizationHex, hasNul } from "./http";
import { folderOf, readOneNote } from "./secrets";

const PREFIX = "/api/v3/secrets/raw/";
const HEAD = [...API_HEADERS].flat();

export interface FastReadDeps {
  access: AccessService;
  secrets: SecretService;
  audit: AuditWriter;
  /** Counts and times reads by how they were served (metrics). */
  onRead?: (path: "memory" | "api", ms: number) => void;
}

/**
 * What a repeated read needs (apps poll the same URL with the same token): the answer's body and its audit row,
 * made once. It stays valid while the token is still this runner's cached principal (a revocation, expiry or
 * cache flush ends it) and the folder cache still holds the same sealed row (a change replaces the row). Kept
 * under the token's hash (never the token), then the URL.
 */
interface Memo {
  principal: Principal;
  /** folderKey() of the folder. */
  folder: string;
  key: string;
  record: SecretRecord;
  head: string[];
  /** The JSON answer, encoded once (no UTF-8 encoding per response). */
  body: Buffer;
  /** The answer's ETag, and the headers of a 304 (the client already has it). */
  etag: string;
  notModified: string[];
  /** The audit row by status (200 or 304) and client address (its only varying columns). */
  audits: Map<string, PreparedAuditRow>;
  /** The folder itself (for the audit note). */
  folderParts: Folder;
}
const MEMO_MAX = 10_000;

/**
 * The first header of that (lower-case) name, read from the raw header list: the memo path never needs the parsed
 * `req.headers` object, which node builds on first use. Duplicates are dropped as node drops them (first wins).
 */
function headerOf(req: IncomingMessage, lower: string): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === lower.length && name.toLowerCase() === lower) return raw[i + 1];
  }
  return undefined;
}

/** Returns a handler that answers the request and returns true, or returns false having touched nothing. */
export function fastSecretRead(d: FastReadDeps): (req: IncomingMessage, res: ServerResponse, startedAt: number) => boolean {
  /** By token hash, then URL. */
  const memo = new Map<string, Map<string, Memo>>();
  let memos = 0;
  const remember = (hex: string, url: string, m: Memo) => {
    if (memos >= MEMO_MAX) {
      memo.clear();
      memos = 0;
    }
    let byUrl = memo.get(hex);
    if (!byUrl) memo.set(hex, (byUrl = new Map<string, Memo>()));
    if (!byUrl.has(url)) memos++;
    byUrl.set(url, m);
  };
  /** The memo still answers: the same principal for the token, the same sealed row in the folder cache. */
  const valid = (hex: string, m: Memo) => d.access.stillCached(hex, m.principal) && d.secrets.cachedRecord(m.folder, m.key) === m.record;
  const auditFor = (m: Memo, status: 200 | 304, ip: string | null): PreparedAuditRow => {
    const key = `${status} ${ip}`;
    let audit = m.audits.get(key);
    if (!audit) {
      if (m.audits.size >= 16) m.audits.clear();
      audit = AuditWriter.prepare(auditRow({ principal: m.principal, action: "secrets.read", note: readOneNote(m.folderParts, m.key), resourceId: null, status, ip }));
      m.audits.set(key, audit);
    }
    return audit;
  };
  /** Answers from the memo when it is still valid: the answer, or 304 when the client's If-None-Match holds its tag. */
  const fromMemo = (req: IncomingMessage, res: ServerResponse, hex: string, m: Memo, startedAt: number) => {
    if (!valid(hex, m)) return false;
    const unchanged = noneMatch(headerOf(req, "if-none-match"), m.etag);
    if (unchanged) {
      res.writeHead(304, m.notModified);
      res.end();
    } else {
      res.writeHead(200, m.head);
      res.end(m.body);
    }
    d.audit.addPrepared(auditFor(m, unchanged ? 304 : 200, req.socket.remoteAddress ?? null));
    d.onRead?.("memory", performance.now() - startedAt);
    return true;
  };
  return (req, res, startedAt) => {
    const url = req.url;
    if (req.method !== "GET" || !url?.startsWith(PREFIX)) return false;
    const hex = authorizationHex(headerOf(req, "authorization"));
    if (!hex) return false;
    const known = memo.get(hex)?.get(url);
    if (known && fromMemo(req, res, hex, known, startedAt)) return true;
    const q = url.indexOf("?");
    const rawName = url.slice(PREFIX.length, q < 0 ? undefined : q);
    if (!rawName || rawName.includes("/")) return false;
    // A cached principal: the API's authentication (its first lookup) and the limiter's knownValid test alike.
    const principal = d.access.cached(Buffer.from(hex, "hex"), hex);
    if (!principal) return false;
    let key: string;
    let folder: Folder;
    try {
      key = decodeURIComponent(rawName);
      const query = parseQuery(q < 0 ? "" : url.slice(q + 1));
      if (hasNul(key) || hasNul(query)) return false;
      folder = folderOf(query);
      authorize(principal, "read", folder);
    } catch {
      return false; // the API answers it: 400, 422 or 403
    }
    const fk = folderKey(folder);
    const record = d.secrets.cachedRecord(fk, key);
    if (!record) return false;
    const body = Buffer.from(JSON.stringify({ secret: d.secrets.open(record) }));
    const etag = etagOf(body);
    // The Express route's header order: the security headers, ETag, then the content's.
    const head = [...HEAD, "ETag", etag, "Content-Type", JSON_TYPE, "Content-Length", String(body.length)];
    const m: Memo = { principal, folder: fk, key, record, head, body, etag, notModified: [...HEAD, "ETag", etag], audits: new Map(), folderParts: folder };
    remember(hex, url, m);
    return fromMemo(req, res, hex, m, startedAt);
  };
}
