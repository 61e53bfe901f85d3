/**
 * The rotation list at scale: paging, filters, sort and totalCount done by the store, the token's scope applied to
 * the page and the total, 422 for bad parameters, Infisical's answer unchanged without them, ETag/304 on the list
 * and on one rotation, and compressed answers (never the change feed, never a secret read).
 */
import http from "node:http";
import zlib from "node:zlib";
import { insertRotations } from "./helpers/bulk-rotations";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A GET with exactly these headers (fetch would ask for and decode compression by itself). */
function rawGet(base: string, path: string, headers: Record<string, string>, opts: { firstChunkOnly?: boolean } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.get(base + path, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        if (opts.firstChunkOnly) {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          req.destroy();
        }
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", (e) => (opts.firstChunkOnly ? undefined : reject(e)));
  });
}

const names = (body: { secretRotations: Array<{ name: string }> }) => body.secretRotations.map((r) => r.name);

describe("Rotation list: paging, filters, sort, scope, ETag and compression", () => {
  let t: TestRunner;
  let target: Target;
  const auth = () => ({ authorization: `Bearer ${t.runner.adminToken}` });
  /** Names of the rotations of a project in the store's order for `orderBy` (what the list must answer). */
  const stored = async (where: string, orderBy = "created_at, id", values: unknown[] = []): Promise<string[]> =>
    (await t.runner.pool.query<{ name: string }>(`SELECT name FROM rotations WHERE ${where} ORDER BY ${orderBy}`, values)).rows.map((r) => r.name);

  beforeAll(async () => {
    target = await createTarget({ prefix: "rlist" });
    t = await startTestRunner();
    const connectionId = (await t.api("POST", CONNECTIONS, target.connectionBody("list-db"))).body.appConnection.id as string;
    const insert = (o: { project: string; prefix: string; from: number; to: number; environment?: string; secretPath?: string }) =>
      insertRotations(t.runner.pool, t.runner.sealer, { connectionId, ...o });
    // alpha: 200 in dev:/ and 100 in prod:/db; gamma: three folders that a path scope tells apart.
    await insert({ project: "alpha", prefix: "alpha", from: 0, to: 200 });
    await insert({ project: "alpha", prefix: "alpha-prod", from: 0, to: 100, environment: "prod", secretPath: "/db" });
    await insert({ project: "gamma", prefix: "db", from: 0, to: 5, secretPath: "/db" });
    await insert({ project: "gamma", prefix: "replica", from: 0, to: 5, secretPath: "/db/replica" });
    await insert({ project: "gamma", prefix: "dbx", from: 0, to: 5, secretPath: "/dbx" });
    // Some failed, some never scheduled, distinct times to sort by.
    await t.runner.pool.query("UPDATE rotations SET rotation_status = 'failed' WHERE project_id = 'alpha' AND name LIKE 'alpha-prod-%' AND right(name, 1) = '7'");
    await t.runner.pool.query("UPDATE rotations SET next_rotation_at = NULL, is_auto_rotation_enabled = false WHERE project_id = 'alpha' AND right(name, 1) = '3'");
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("Without list parameters the answer is Infisical's: every rotation in scope, oldest first, and no totalCount", async () => {
    const res = await t.api("GET", `${ROTATIONS}?projectId=alpha`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["secretRotations"]);
    expect(names(res.body)).toEqual(await stored("project_id = 'alpha'"));
    const all = await t.api("GET", ROTATIONS);
    expect(Object.keys(all.body)).toEqual(["secretRotations"]);
    expect(all.body.secretRotations).toHaveLength(315);
    // An empty parameter counts as absent: still Infisical's answer.
    const empty = await t.api("GET", `${ROTATIONS}?projectId=alpha&limit=&search=`);
    expect(empty.text).toBe(res.text);
  });

  test("limit and offset cut consecutive pages that together are the whole sorted list, each with the total", async () => {
    const expected = await stored("project_id = 'alpha'", 'name COLLATE "C", created_at, id');
    const seen: string[] = [];
    for (let offset = 0; offset < 300; offset += 70) {
      const res = await t.api("GET", `${ROTATIONS}?projectId=alpha&sort=name&limit=70&offset=${offset}`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(["secretRotations", "totalCount"]);
      expect(res.body.totalCount).toBe(300);
      seen.push(...names(res.body));
    }
    expect(seen).toEqual(expected);
    const past = await t.api("GET", `${ROTATIONS}?projectId=alpha&offset=300`);
    expect(past.body).toEqual({ secretRotations: [], totalCount: 300 });
    // A filter alone pages too: the default limit is 100.
    const first = await t.api("GET", `${ROTATIONS}?projectId=alpha&environment=dev`);
    expect(first.body.secretRotations).toHaveLength(100);
    expect(first.body.totalCount).toBe(200);
    expect(names(first.body)).toEqual((await stored("project_id = 'alpha' AND environment = 'dev'")).slice(0, 100));
  });

  test("search (case-insensitive name substring), environment, secretPath and status filter the page and the total", async () => {
    const cases: Array<[string, string]> = [
      ["search=ALPHA-1", "project_id = 'alpha' AND name ILIKE '%alpha-1%'"],
      ["environment=prod", "project_id = 'alpha' AND environment = 'prod'"],
      ["secretPath=/db/", "project_id = 'alpha' AND secret_path = '/db'"],
      ["status=failed", "project_id = 'alpha' AND rotation_status = 'failed'"],
      ["status=failed&search=prod-1", "project_id = 'alpha' AND rotation_status = 'failed' AND name LIKE '%prod-1%'"],
      ["search=nothing-like-this", "false"],
    ];
    for (const [query, where] of cases) {
      const expected = await stored(where);
      const res = await t.api("GET", `${ROTATIONS}?projectId=alpha&${query}&limit=500`);
      expect([query, res.status, res.body.totalCount, names(res.body)]).toEqual([query, 200, expected.length, expected]);
    }
    expect((await stored("project_id = 'alpha' AND rotation_status = 'failed'")).length).toBe(10);
  });

  test("sort orders by the field asked, descending with a leading -, never-set times last either way", async () => {
    for (const [sort, orderBy] of [
      ["-nextRotationAt", "next_rotation_at DESC NULLS LAST, created_at, id"],
      ["nextRotationAt", "next_rotation_at ASC NULLS LAST, created_at, id"],
      ["-name", 'name COLLATE "C" DESC, created_at, id'],
      ["rotationStatus", 'rotation_status COLLATE "C", created_at, id'],
    ] as const) {
      const res = await t.api("GET", `${ROTATIONS}?projectId=alpha&sort=${sort}&limit=500`);
      expect([sort, names(res.body)]).toEqual([sort, await stored("project_id = 'alpha'", orderBy)]);
    }
    const soonest = await t.api("GET", `${ROTATIONS}?projectId=alpha&sort=-nextRotationAt&limit=500`);
    expect(soonest.body.secretRotations.at(-1).nextRotationAt).toBeNull();
    expect(soonest.body.secretRotations[0].nextRotationAt).not.toBeNull();
  });

  test("A scoped token's list and total hold only the rotations in its scope; a path scope covers its subfolders", async () => {
    const token = async (scope: Record<string, string>) =>
      (await t.api("POST", "/api/v1/auth/tokens", { name: `list-${Object.values(scope).join("-").replace(/\W/g, "")}`, permission: "read", ...scope })).body.secret as string;
    const prod = await token({ projectId: "alpha", environment: "prod" });
    const asProd = (q: string) => t.api("GET", `${ROTATIONS}${q}`, undefined, { token: prod });
    expect((await asProd("")).body.secretRotations).toHaveLength(100);
    const page = await asProd("?limit=10&sort=name");
    expect(page.body.totalCount).toBe(100);
    expect(names(page.body)).toEqual((await stored("project_id = 'alpha' AND environment = 'prod'", 'name COLLATE "C", created_at, id')).slice(0, 10));
    // A filter outside the scope finds nothing (it is not refused).
    expect((await asProd("?environment=dev")).body).toEqual({ secretRotations: [], totalCount: 0 });
    expect((await asProd("?projectId=gamma&limit=5")).body).toEqual({ secretRotations: [], totalCount: 0 });

    const db = await token({ projectId: "gamma", secretPath: "/db" });
    const asDb = (q: string) => t.api("GET", `${ROTATIONS}${q}`, undefined, { token: db });
    expect(names((await asDb("")).body).sort()).toEqual([...(await stored("project_id = 'gamma' AND secret_path IN ('/db', '/db/replica')"))].sort());
    expect((await asDb("?limit=3")).body.totalCount).toBe(10);
    expect((await asDb("?secretPath=/db")).body.totalCount).toBe(5);
    expect((await asDb("?secretPath=/dbx")).body.totalCount).toBe(0);
    expect((await asDb("?search=dbx")).body.totalCount).toBe(0);
  });

  test("A bad list parameter answers 422 naming it, and lists nothing", async () => {
    const bad: Array<[string, string]> = [
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["limit=ten", "limit"],
      ["limit=1.5", "limit"],
      ["offset=-1", "offset"],
      ["status=broken", "status"],
      ["sort=password", "sort"],
      ["sort=--name", "sort"],
      ["environment=Prod!", "environment"],
      ["secretPath=no-slash", "secretPath"],
      [`search=${"x".repeat(65)}`, "search"],
      ["limit=1&limit=2", "limit"],
    ];
    for (const [query, field] of bad) {
      const res = await t.api("GET", `${ROTATIONS}?${query}`);
      expect([query, res.status, res.body.error]).toEqual([query, 422, "ValidationError"]);
      expect(res.body.message).toContain(field);
      expect(res.body.secretRotations).toBeUndefined();
    }
  });

  test("The list and one rotation carry an ETag: the same answer again is 304 with no body, a change gives a new tag", async () => {
    const list = `${ROTATIONS}?projectId=gamma&limit=50`;
    const first = await t.api("GET", list);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^(W\/)?"[\w-]+"$/);
    const again = await t.api("GET", list, undefined, { headers: { "if-none-match": etag! } });
    expect([again.status, again.text]).toEqual([304, ""]);

    const one = first.body.secretRotations[0];
    const get = await t.api("GET", `${ROTATIONS}/${one.id}`);
    const oneTag = get.headers.get("etag")!;
    expect((await t.api("GET", `${ROTATIONS}/${one.id}`, undefined, { headers: { "if-none-match": oneTag } })).status).toBe(304);

    expect((await t.api("PATCH", `${ROTATIONS}/${one.id}`, { description: "changed" })).status).toBe(200);
    const changed = await t.api("GET", `${ROTATIONS}/${one.id}`, undefined, { headers: { "if-none-match": oneTag } });
    expect(changed.status).toBe(200);
    expect(changed.body.secretRotation.description).toBe("changed");
    expect(changed.headers.get("etag")).not.toBe(oneTag);
    const listChanged = await t.api("GET", list, undefined, { headers: { "if-none-match": etag! } });
    expect(listChanged.status).toBe(200);
    expect(listChanged.headers.get("etag")).not.toBe(etag);
  });

  test("A list answer is brotli- or gzip-compressed as the client accepts, decodes to the same JSON, and its weak ETag still gets 304", async () => {
    const path = `${ROTATIONS}?projectId=alpha&limit=100`;
    const plain = await rawGet(t.runner.url, path, { ...auth(), "accept-encoding": "identity" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const json = JSON.parse(plain.body.toString()) as { secretRotations: unknown[] };
    expect(json.secretRotations).toHaveLength(100);

    const br = await rawGet(t.runner.url, path, { ...auth(), "accept-encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(JSON.parse(zlib.brotliDecompressSync(br.body).toString())).toEqual(json);
    expect(br.body.length).toBeLessThan(plain.body.length / 5);

    const gz = await rawGet(t.runner.url, path, { ...auth(), "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(zlib.gunzipSync(gz.body).toString())).toEqual(json);

    // The compressed bytes are not the plain ones: the tag says so by being weak; either form gets its 304.
    expect(br.headers.etag).toBe(`W/${plain.headers.etag}`);
    for (const tag of [br.headers.etag!, plain.headers.etag!]) {
      const cached = await rawGet(t.runner.url, path, { ...auth(), "accept-encoding": "br", "if-none-match": tag });
      expect([cached.status, cached.body.length]).toEqual([304, 0]);
    }
    // A short answer goes as it is.
    const small = await rawGet(t.runner.url, `${ROTATIONS}?search=nothing-like-this`, { ...auth(), "accept-encoding": "br" });
    expect(small.headers["content-encoding"]).toBeUndefined();
  });

  test("The console's script is sent brotli-compressed to a browser that accepts it, and decodes to the built file", async () => {
    const index = await rawGet(t.runner.url, "/", { "accept-encoding": "identity" });
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body.toString())?.[1];
    expect(script).toBeDefined();
    const plain = await rawGet(t.runner.url, script!, { "accept-encoding": "identity" });
    const br = await rawGet(t.runner.url, script!, { "accept-encoding": "gzip, deflate, br" });
    expect([br.status, br.headers["content-encoding"]]).toEqual([200, "br"]);
    expect(zlib.brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
  });

  test("The change feed and secret reads are never compressed, whatever the client accepts", async () => {
    const feed = await rawGet(t.runner.url, "/api/v1/events/secrets?workspaceId=alpha&environment=dev&secretPath=/", { ...auth(), "accept-encoding": "gzip, br" }, { firstChunkOnly: true });
    expect(feed.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(feed.headers["content-encoding"]).toBeUndefined();
    expect(feed.body.toString()).toMatch(/event: ready|: /);

    for (const path of ["/api/v3/secrets/raw?workspaceId=alpha&environment=dev&secretPath=/", "/api/v4/secrets?projectId=alpha&environment=dev&secretPath=/&recursive=true"]) {
      const read = await rawGet(t.runner.url, path, { ...auth(), "accept-encoding": "gzip, br" });
      expect([path, read.status, read.headers["content-encoding"]]).toEqual([path, 200, undefined]);
      expect(read.body.length).toBeGreaterThan(10_000);
    }
  });
});
