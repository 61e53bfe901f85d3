/**
 * What the runner's sources must never do, checked on the sources themselves: import a dependency's private
 * module (a minor release may move or change it under every login), or commit asynchronously (an acknowledged
 * write must be durable).
 */
import fs from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..");
const SHIPPED = ["runner", "pg", "provider"];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|tsx|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** A string literal naming a module inside a package's lib/, dist/, src/ or internal/ folder (e.g. "pg/lib/crypto/utils"). */
const PRIVATE_MODULE = /["'](?:@[\w.-]+\/)?\w[\w.-]*\/(?:lib|dist|src|internal)\/[^"'\s]*["']/;

const shipped = () => SHIPPED.flatMap((d) => sources(path.join(ROOT, d))).map((file) => ({ file: path.relative(ROOT, file), text: fs.readFileSync(file, "utf8") }));

describe("The shipped sources use dependencies through their public API only", () => {
  test("When any runner, pg or provider source is read, then none imports or requires a module under a dependency's lib/ or dist/ folder", () => {
    const offenders = shipped().filter((s) => PRIVATE_MODULE.test(s.text)).map((s) => s.file);
    expect(offenders).toEqual([]);
  });

  test("When any shipped source or SQL migration is read, then none turns synchronous_commit off or local: every acknowledged write is durable", () => {
    const dir = path.join(ROOT, "runner", "store", "migrations");
    const migrations = fs.readdirSync(dir).map((f) => ({ file: `runner/store/migrations/${f}`, text: fs.readFileSync(path.join(dir, f), "utf8") }));
    const texts = [...shipped(), ...migrations];
    const asyncCommit = /synchronous_commit['"]?\s*(?:,|=|TO)\s*['"]?(?:off|local)/i;
    expect(texts.filter((s) => asyncCommit.test(s.text)).map((s) => s.file)).toEqual([]);
    expect(asyncCommit.test("SELECT set_config('synchronous_commit', 'off', true)")).toBe(true);
    expect(asyncCommit.test("SET synchronous_commit TO off")).toBe(true);
  });

  test("The private-import check recognises the forms it must catch", () => {
    for (const bad of [`import x from "pg/lib/crypto/utils";`, `require("pg/lib/crypto/utils")`, `import type * as U from "pg/lib/crypto/utils";`, `createRequire(__filename)("pg/lib/crypto/utils")`]) {
      expect(PRIVATE_MODULE.test(bad)).toBe(true);
    }
    for (const ok of [`import { Client } from "pg";`, `import x from "./lib/thing";`, `import { z } from "zod";`, `import y from "@pulumi/pulumi/dynamic";`]) {
      expect(PRIVATE_MODULE.test(ok)).toBe(false);
    }
  });
});
