/**
 * Hostile input for the fuzz suite: the Big List of Naughty Strings (npm big-list-of-naughty-strings) plus
 * fast-check arbitraries for strings, JSON values, query strings, path segments and mutated request bodies.
 */
import fs from "node:fs";
import fc from "fast-check";

/** The Big List of Naughty Strings (~460 strings: SQL, shell and format injections, unicode oddities, ...). */
export const NAUGHTY: string[] = JSON.parse(fs.readFileSync(require.resolve("big-list-of-naughty-strings/blns.json"), "utf8"));

/** A string that is exactly `bytes` UTF-8 bytes long, mixing 1- and 2-byte characters after `prefix`. */
export function ofBytes(prefix: string, bytes: number): string {
  let s = prefix;
  while (Buffer.byteLength(s, "utf8") + 2 <= bytes) s += "é";
  while (Buffer.byteLength(s, "utf8") < bytes) s += "x";
  return s;
}

/** Strings chosen by hand for this API: identifier limits, SQL in names, path tricks, JSON-looking values. */
export const SPECIAL = [
  "", " ", "true", "false", "0", "-1", "1e309", "null", "undefined", "NaN", "[]", "{}",
  "a".repeat(63), "a".repeat(64), ofBytes("ü", 63), ofBytes("ü", 64), "x".repeat(5000),
  'a"; DROP ROLE postgres; --', "'; SELECT pg_sleep(30); --", "\\'; DROP TABLE rotations; --", "$$; DROP TABLE secrets; $$",
  "\u0000", "a\u0000b", "%00", "%", "%E0%A4%A", "%2e%2e%2f", "../../etc/passwd", "..", ".", "/", "//", "\\", "?", "#", "&", "=",
  "__proto__", "constructor", "prototype", "toString", "hasOwnProperty",
  "\ud800", "\udfff", "😀".repeat(40), "\u202e", "\ufeff", "Ω≈ç√∫", "田中さんにあげて下さい",
  "6f1c0c3e-8f7a-4c1e-9a51-0b9c3d2e1f00", "00000000-0000-0000-0000-000000000000", "6F1C0C3E-8F7A-4C1E-9A51-0B9C3D2E1F00",
  "SCRAM-SHA-256$4096:abc$def:ghi", "md5" + "0".repeat(32), "Bearer x", "*", "%s%s%s%n", "${jndi:ldap://127.0.0.1/x}", "{{7*7}}",
];

export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAUGHTY) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
);

export const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: text },
  fc.integer(),
  fc.constantFrom(0, -1, 1, 1.5, 65536, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

export const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(text, scalar, { maxKeys: 4 }),
);

type Json = Record<string, unknown>;

function leafPaths(o: unknown, prefix: string[] = []): string[][] {
  if (!o || typeof o !== "object" || Array.isArray(o)) return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [k, v] of Object.entries(o)) out.push(...leafPaths(v, [...prefix, k]));
  return out;
}

function withChange(template: Json, path: string[], op: "set" | "delete" | "add", v: unknown, extraKey: string): Json {
  const copy = JSON.parse(JSON.stringify(template)) as Json;
  let cur: Json = copy;
  for (const k of path.slice(0, -1)) {
    if (!cur[k] || typeof cur[k] !== "object") cur[k] = {};
    cur = cur[k] as Json;
  }
  const last = path[path.length - 1];
  if (op === "delete") delete cur[last];
  else if (op === "add") Object.defineProperty(cur, extraKey, { value: v, enumerable: true, writable: true, configurable: true });
  else cur[last] = v;
  return copy;
}

/** A valid body with one to three fields changed to hostile values, removed, or joined by an unknown field. */
export function mutated(template: Json): fc.Arbitrary<Json> {
  const paths = leafPaths(template);
  if (!paths.length) paths.push(["x"]);
  const change = fc.tuple(fc.constantFrom(...paths), fc.constantFrom<"set" | "delete" | "add">("set", "set", "set", "delete", "add"), value, text);
  return fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => changes.reduce((b, [p, op, v, k]) => withChange(b, p, op, v, k), template));
}

/** A path segment: mostly percent-encoded, sometimes raw (including broken percent escapes). */
export function segment(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 4, arbitrary: text.map((s) => encodeURIComponent(toWellFormed(s))) },
    { weight: 1, arbitrary: fc.constantFrom("%", "%E0%A4%A", "%00", "%2e%2e", "..", "%FF%FE", "a%2Fb", "%u0041") },
  );
}

/** A query string: known keys with hostile values, random keys, repeated keys, broken escapes. */
export function query(keys: string[]): fc.Arbitrary<string> {
  const pair = fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: text }), text);
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(pair, { maxLength: 5 }).map((ps) => ps.map(([k, v]) => `${encodeURIComponent(toWellFormed(k))}=${encodeURIComponent(toWellFormed(v))}`).join("&")) },
    { weight: 1, arbitrary: fc.constantFrom("force=true&force=true", "a=%", "projectId[]=x", "projectId[a]=1", "=", "&&&", "limit=1e3", "limit=-1", "offset=99999999999999999999", "x=%E0%A4%A") },
  );
}

/** Lone surrogates cannot be percent-encoded; replace them like a browser would. */
export function toWellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
