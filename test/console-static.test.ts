/**
 * The console's precompressed files: the build writes a brotli and a gzip copy beside each compressible asset, and
 * the runner sends the copy the request's Accept-Encoding takes (brotli first), as it is, with the original's
 * Content-Type and caching, or the file itself when it takes neither. Read as raw bytes (node:http, which decodes
 * nothing), so what travels is what is checked. And the first page's JavaScript (the entry and its static imports,
 * from index.html and the build's manifest) stays within its budget, the pages and dialogs it does not show split off.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { consoleDir } from "../runner/api/console-static";
import { FIRST_PAGE_BUDGET_BYTES, readConsoleBundle } from "./helpers/console-bundle";
import { startTestRunner, type TestRunner } from "./helpers/runner";

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string>, method = "GET"): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("The console's precompressed assets", () => {
  let t: TestRunner;
  const dir = consoleDir();
  if (!dir) throw new Error("dist/console is missing: run `npm run build`");
  const assets = fs.readdirSync(path.join(dir, "assets"));
  const indexHtml = fs.readFileSync(path.join(dir, "index.html"), "utf8");
  const bundle = readConsoleBundle(dir);
  const { manifest, lazyKey } = bundle;
  /** The page's entry script, as index.html loads it. */
  const js = bundle.entryFile;
  const css = assets.find((a) => a.endsWith(".css"))!;

  beforeAll(async () => {
    t = await startTestRunner({ logLevel: "warn" });
  });
  afterAll(async () => {
    await t?.stop();
  });

  test("When the console is built, then every compressible asset of 1 KB or more has a smaller .br and .gz beside it that decode to it", () => {
    const compressible = assets.filter((a) => /\.(js|css)$/.test(a) && fs.statSync(path.join(dir, "assets", a)).size >= 1024);
    expect(compressible).toEqual(expect.arrayContaining([js, css]));
    for (const a of compressible) {
      const original = fs.readFileSync(path.join(dir, "assets", a));
      const br = fs.readFileSync(path.join(dir, "assets", `${a}.br`));
      const gz = fs.readFileSync(path.join(dir, "assets", `${a}.gz`));
      expect(br.length).toBeLessThan(gz.length);
      expect(gz.length).toBeLessThan(original.length);
      expect(zlib.brotliDecompressSync(br).equals(original)).toBe(true);
      expect(zlib.gunzipSync(gz).equals(original)).toBe(true);
    }
  });

  test("When a browser accepts brotli, gzip, or neither, then it gets the .br, the .gz or the file itself, each with the file's Content-Type, caching and Vary: Accept-Encoding, and compressed once only", async () => {
    for (const name of [js, css]) {
      const url = `${t.runner.url}/assets/${name}`;
      const original = fs.readFileSync(path.join(dir, "assets", name));
      const plain = await get(url, {});
      expect(plain.status).toBe(200);
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers.etag).toMatch(/^W\/"/);
      expect(plain.body.equals(original)).toBe(true);
      const cases: Array<[string, string | undefined]> = [
        ["gzip, deflate, br, zstd", "br"],
        ["br", "br"],
        ["gzip", "gzip"],
        ["br;q=0.5, gzip", "gzip"],
        ["*", "br"],
        ["identity", undefined],
        ["br;q=0, gzip;q=0", undefined],
      ];
      for (const [accept, expected] of cases) {
        const res = await get(url, { "accept-encoding": accept });
        expect([accept, res.status, res.headers["content-encoding"]]).toEqual([accept, 200, expected]);
        expect(res.headers["content-type"]).toBe(plain.headers["content-type"]);
        expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
        expect(res.headers.vary).toMatch(/Accept-Encoding/i);
        expect(res.headers["content-security-policy"]).toBe(plain.headers["content-security-policy"]);
        expect(res.headers.etag === plain.headers.etag).toBe(expected === undefined); // each encoding revalidates its own bytes
        const decoded = expected === "br" ? zlib.brotliDecompressSync(res.body) : expected === "gzip" ? zlib.gunzipSync(res.body) : res.body;
        expect(decoded.equals(original)).toBe(true);
        if (expected) expect(res.body.equals(fs.readFileSync(path.join(dir, "assets", `${name}.${expected === "br" ? "br" : "gz"}`)))).toBe(true);
      }
    }
    expect((await get(`${t.runner.url}/assets/${js}`, {})).headers["content-type"]).toMatch(/javascript/);
  });

  test("When a browser revalidates a precompressed asset with its ETag, then it gets 304; a HEAD says the encoding and length without a body", async () => {
    const url = `${t.runner.url}/assets/${js}`;
    const first = await get(url, { "accept-encoding": "br" });
    const etag = first.headers.etag!;
    expect(etag).toBeTruthy();
    expect((await get(url, { "accept-encoding": "br", "if-none-match": etag })).status).toBe(304);
    const head = await get(url, { "accept-encoding": "gzip" }, "HEAD");
    expect([head.status, head.headers["content-encoding"], Number(head.headers["content-length"]), head.body.length]).toEqual([
      200,
      "gzip",
      fs.statSync(path.join(dir, "assets", `${js}.gz`)).size,
      0,
    ]);
  });

  test("When the console is built, then the first page's JavaScript (signed in: the entry and its static imports; signed out: those and the sign-in page's) is at most 150 KB gzip, and the wizard, the other pages and the dialogs are chunks of their own, not among it", () => {
    const list = bundle.signedIn;
    // The browser fetches what index.html names: the entry and the chunks it preloads, all among its static imports.
    const preloaded = [...indexHtml.matchAll(/<link rel="modulepreload"[^>]*\shref="\/([^"]+)"/g)].map((m) => m[1]);
    expect(preloaded.length).toBeGreaterThan(0);
    for (const file of preloaded) expect([...list].map((k) => manifest[k].file)).toContain(file);
    expect(bundle.size(list).gzip).toBeLessThanOrEqual(FIRST_PAGE_BUDGET_BYTES);
    expect(bundle.size(bundle.signedOut).gzip).toBeLessThanOrEqual(FIRST_PAGE_BUDGET_BYTES);

    const later = [
      "src/rotations/wizard/AddSecretRotationDialog.tsx",
      "src/rotations/wizard/EditRotationDialog.tsx",
      "src/rotations/RotationPage.tsx",
      "src/connections/ConnectionsPage.tsx",
      "src/secrets/SecretsPage.tsx",
      "src/status/StatusPage.tsx",
      "src/rotations/DeleteRotationDialog.tsx",
      "src/rotations/RotateSecretsDialog.tsx",
      "src/session/SignInDialog.tsx",
    ];
    // Each its own chunk (lazyKey throws when it is not), which the first page does not import.
    for (const src of later) expect([src, list.has(lazyKey(src))]).toEqual([src, false]);
    // And what only the wizard needs (its steps, the connection form, react-hook-form) is not pulled in either.
    const wizard = [...bundle.withStaticImports(lazyKey("src/rotations/wizard/AddSecretRotationDialog.tsx"))].filter((k) => !list.has(k));
    expect(bundle.size(wizard).gzip).toBeGreaterThan(10 * 1024);
  });

  test("When a chunk loaded on first use is fetched, then it comes precompressed (when 1 KB or more) with the entry's caching and CSP; the build's manifest is not served", async () => {
    const chunks = Object.values(manifest).filter((c) => c.file.endsWith(".js"));
    expect(chunks.length).toBeGreaterThan(5);
    const entry = await get(`${t.runner.url}/assets/${js}`, { "accept-encoding": "br, gzip" });
    for (const c of chunks) {
      const res = await get(`${t.runner.url}/${c.file}`, { "accept-encoding": "br, gzip" });
      const size = fs.statSync(path.join(dir, c.file)).size;
      expect([c.file, res.status, res.headers["content-encoding"]]).toEqual([c.file, 200, size >= 1024 ? "br" : undefined]);
      expect(res.headers["content-type"]).toMatch(/javascript/);
      expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(res.headers["content-security-policy"]).toBe(entry.headers["content-security-policy"]);
    }
    expect(entry.headers["content-security-policy"]).toMatch(/script-src 'self'/);
    const hidden = await get(`${t.runner.url}/.vite/manifest.json`, {});
    expect(hidden.status).toBe(404);
    expect(hidden.body.toString()).not.toContain(js);
  });
});
