/**
 * Replays HTTP requests exactly as three Go clients put them on the wire (External Secrets Operator's Infisical
 * provider through infisical/go-sdk, Infisical's Kubernetes operator, the Infisical CLI agent), all built on
 * go-resty/resty v2. What each sends and reads, with the Go file it comes from: /work/notes23/clients.md.
 *
 * Requests go out through node's http.request with a literal path and query, so the bytes are Go's:
 * - resty builds the query with url.Values.Encode(): keys sorted, empty values sent as `key=`, QueryEscape
 *   (`/` → %2F, space → +) — goValues() below; the tests also spell each query out literally.
 * - a struct body is json.Marshal'd in struct field order (omitempty fields left out); resty then sets
 *   Content-Type: application/json and copies it into Accept. A GET never carries a body.
 * - Go's transport adds Accept-Encoding: gzip (and decompresses transparently): so do we.
 */
import http from "node:http";
import zlib from "node:zlib";
import { uniqueName } from "./pg";
import { startTestRunner, type TestRunner, type TestRunnerOptions } from "./runner";
import { createTarget, infisicalCreateBody, type Target } from "./target";

export const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

/** Go's url.QueryEscape: unreserved bytes kept, space as +, everything else %XX (upper case). */
export function goQueryEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Go's url.Values{k: {v}}.Encode(): sorted by key, `k=v` joined by &, empty values kept as `k=`. */
export function goValues(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${goQueryEscape(k)}=${goQueryEscape(params[k])}`)
    .join("&");
}

export interface GoResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON when it is JSON (undefined otherwise). */
  json: any;
}

export interface GoRequest {
  method: "GET" | "POST";
  /** Path and query exactly as sent, e.g. "/api/v3/secrets/raw?environment=dev&…". */
  pathAndQuery: string;
  headers: Record<string, string>;
  /** The body bytes (json.Marshal's output), sent with Content-Length. */
  body?: string;
}

/** One request with Go's bytes; the answer decompressed as Go's transport would. */
export function goRequest(baseUrl: string, req: GoRequest): Promise<GoResponse> {
  const u = new URL(baseUrl);
  const headers: Record<string, string> = { "Accept-Encoding": "gzip", ...req.headers };
  if (req.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: u.hostname, port: u.port, method: req.method, path: req.pathAndQuery, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          let buf = Buffer.concat(chunks);
          if (res.headers["content-encoding"] === "gzip" && buf.length > 0) buf = zlib.gunzipSync(buf);
          const text = buf.toString("utf8");
          let json: any;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    r.on("error", reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** resty decodes SetResult only for a JSON content type (middleware.go parseResponseBody): check it. */
export function expectJson(res: GoResponse): void {
  expect(String(res.headers["content-type"] ?? "")).toMatch(/^application\/(?:[\w.+-]+\+)?json\b/);
}

type GoType = "string" | "int" | "bool" | "array" | "object";

/**
 * What Go's encoding/json needs to decode `value` into a struct with these fields: a field that is present and not
 * null has the Go type (a mismatch fails the whole decode); `required` fields must be present and not null.
 */
export function expectGoDecodes(value: unknown, fields: Record<string, GoType>, required: string[] = []): void {
  expect(value).toEqual(expect.any(Object));
  const obj = value as Record<string, unknown>;
  for (const [key, type] of Object.entries(fields)) {
    const v = obj[key];
    if (required.includes(key)) expect({ key, present: v !== undefined && v !== null }).toEqual({ key, present: true });
    if (v === undefined || v === null) continue;
    const ok =
      type === "string" ? typeof v === "string"
      : type === "int" ? typeof v === "number" && Number.isInteger(v)
      : type === "bool" ? typeof v === "boolean"
      : type === "array" ? Array.isArray(v)
      : typeof v === "object" && !Array.isArray(v);
    expect({ key, type, ok }).toEqual({ key, type, ok: true });
  }
}

// ---- the request headers of each client

/** go-sdk's resty client (SDK client.go UpdateConfiguration): User-Agent from Config.UserAgent. */
export const sdkHeaders = (userAgent: string, token?: string, extra: Record<string, string> = {}): Record<string, string> => ({
  "User-Agent": userAgent,
  ...(token ? { Authorization: `Bearer ${token}` } : {}),
  ...extra,
});

/** A POST with a JSON struct body: resty sets Content-Type and copies it into Accept. */
export const jsonPostHeaders = (userAgent: string, token?: string): Record<string, string> => ({
  ...sdkHeaders(userAgent, token),
  "Content-Type": "application/json",
  Accept: "application/json",
});

// ---- a runner with rotations in a folder tree and a machine identity scoped to /app

export interface World {
  t: TestRunner;
  target: Target;
  project: string;
  environment: string;
  /** Rotations by folder: "/app" (DB_USERNAME, DB_PASSWORD), and with `tree` "/app/sub" (SUB_DB_*) and "/other" (OTHER_DB_*). */
  rotations: Record<string, string>;
  identity: { clientId: string; clientSecret: string; accessTokenTTL: number; accessTokenMaxTTL: number };
  /** The active username and password of a folder's rotation, from the admin API. */
  active(folder: string): Promise<{ username: string; password: string }>;
  /** Rotates a folder's rotation now (admin, past the grace guard). */
  rotate(folder: string): Promise<void>;
  stop(): Promise<void>;
}

export const FOLDERS = {
  "/app": { username: "DB_USERNAME", password: "DB_PASSWORD" },
  "/app/sub": { username: "SUB_DB_USERNAME", password: "SUB_DB_PASSWORD" },
  "/other": { username: "OTHER_DB_USERNAME", password: "OTHER_DB_PASSWORD" },
} as const;

export async function startWorld(prefix: string, opts: { tree?: boolean; runner?: TestRunnerOptions } = {}): Promise<World> {
  const target = await createTarget({ prefix });
  const t = await startTestRunner({ logLevel: "warn", ...opts.runner });
  const project = "shop";
  const environment = "dev";
  const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
  expect(conn.status).toBe(200);
  const connectionId = conn.body.appConnection.id as string;
  const folders = opts.tree ? (["/app", "/app/sub", "/other"] as const) : (["/app"] as const);
  const rotations: Record<string, string> = {};
  for (const folder of folders) {
    const users: [string, string] = folder === "/app" ? target.users : [await target.addRole("u1"), await target.addRole("u2")];
    const created = await t.api(
      "POST",
      ROTATIONS,
      infisicalCreateBody(connectionId, users, {
        name: uniqueName("rot").replace(/_/g, "-"),
        projectId: project,
        environment,
        secretPath: folder,
        secretsMapping: FOLDERS[folder],
      }),
    );
    expect(created.status).toBe(200);
    rotations[folder] = created.body.secretRotation.id;
  }
  const accessTokenTTL = 3600;
  const accessTokenMaxTTL = 7200;
  const ident = await t.api("POST", "/api/v1/auth/identities", {
    name: `${prefix}-app`,
    projectId: project,
    environment,
    secretPath: "/app",
    permission: "read",
    accessTokenTTL,
    accessTokenMaxTTL,
  });
  expect(ident.status).toBe(200);
  return {
    t,
    target,
    project,
    environment,
    rotations,
    identity: { clientId: ident.body.clientId, clientSecret: ident.body.clientSecret, accessTokenTTL, accessTokenMaxTTL },
    async active(folder) {
      const c = (await t.api("GET", `${ROTATIONS}/${rotations[folder]}/generated-credentials`)).body;
      return c.generatedCredentials[c.activeIndex] as { username: string; password: string };
    },
    async rotate(folder) {
      const res = await t.api("POST", `${ROTATIONS}/${rotations[folder]}/rotate-secrets?force=true`);
      expect(res.status).toBe(200);
    },
    async stop() {
      await t.stop();
      await target.drop();
    },
  };
}

/** The secrets of a list answer by key. */
export function byKey(secrets: Array<{ secretKey: string }>): Record<string, any> {
  return Object.fromEntries(secrets.map((s) => [s.secretKey, s]));
}

// ---- Server-Sent Events read the way the operator reads them (OP internal/util/sse/sse.go processStream, parseLine)

export interface SseFrame {
  event: string;
  data: string;
  id: string;
  /** Date.now() when the frame's terminating empty line arrived. */
  at: number;
}

export interface SseStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The error body (status ≥ 400). */
  text: string;
  frames: SseFrame[];
  /** Frames the operator counts as pings: `event: ping`, or no event name and data "1". */
  pings(): SseFrame[];
  /** Frames that make the operator reconcile (everything but pings). */
  events(): SseFrame[];
  /** Resolves when a frame satisfying `pred` has arrived (rejects after `ms`). */
  waitFor(pred: (f: SseFrame) => boolean, ms: number): Promise<SseFrame>;
  close(): void;
}

export const isPing = (f: SseFrame) => f.event === "ping" || (f.event === "" && f.data.trim() === "1");

/** POSTs and reads the answer as an SSE stream, frame by frame, with bufio.Scanner's line splitting. */
export function openSse(baseUrl: string, req: GoRequest): Promise<SseStream> {
  const u = new URL(baseUrl);
  const headers: Record<string, string> = { "Accept-Encoding": "gzip", ...req.headers };
  if (req.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.pathAndQuery, headers, agent: false }, (res) => {
      const frames: SseFrame[] = [];
      const waiters: Array<() => void> = [];
      let text = "";
      let rest = "";
      let cur = { event: "", id: "" };
      let data: string[] = [];
      const line = (l: string) => {
        if (l.endsWith("\r")) l = l.slice(0, -1);
        if (l.length === 0) {
          if (data.length > 0 || cur.event !== "") {
            frames.push({ event: cur.event, data: data.join("\n"), id: cur.id, at: Date.now() });
            waiters.forEach((w) => w());
          }
          cur = { event: "", id: "" };
          data = [];
          return;
        }
        const colon = l.indexOf(":");
        if (colon === -1) return;
        const field = l.slice(0, colon);
        let value = l.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") cur.event = value;
        else if (field === "id") cur.id = value;
      };
      const body: NodeJS.ReadableStream = res.headers["content-encoding"] === "gzip" ? res.pipe(zlib.createGunzip()) : res;
      const status = res.statusCode ?? 0;
      body.setEncoding("utf8");
      body.on("data", (chunk: string) => {
        if (status >= 400) {
          text += chunk;
          return;
        }
        rest += chunk;
        let i: number;
        while ((i = rest.indexOf("\n")) !== -1) {
          line(rest.slice(0, i));
          rest = rest.slice(i + 1);
        }
      });
      body.on("error", () => undefined);
      const stream: SseStream = {
        status,
        headers: res.headers,
        get text() {
          return text;
        },
        frames,
        pings: () => frames.filter(isPing),
        events: () => frames.filter((f) => !isPing(f)),
        waitFor(pred, ms) {
          return new Promise((ok, fail) => {
            const found = () => frames.find(pred);
            const hit = found();
            if (hit) return ok(hit);
            const timer = setTimeout(() => fail(new Error(`no matching SSE frame within ${ms} ms`)), ms);
            waiters.push(() => {
              const f = found();
              if (f) {
                clearTimeout(timer);
                ok(f);
              }
            });
          });
        },
        close: () => {
          r.destroy();
          res.destroy();
        },
      };
      if (status >= 400) body.on("end", () => resolve(stream));
      else resolve(stream);
    });
    r.on("error", reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
