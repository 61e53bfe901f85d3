/**
 * package.json's engines.node says which Node versions pgrotate runs on. It must admit no version that the runtime
 * code or a package it installs (the whole tree under `dependencies`, as installed) does not support: else npm
 * installs it there without a word (engine-strict is off by default) and it fails at run time.
 */
import fs from "node:fs";
import path from "node:path";
import semver from "semver";

const REPO = path.resolve(__dirname, "..");

interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const read = (dir: string): Manifest => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;

/** Where Node finds package `name` from `dir`: the nearest node_modules/<name> up the tree (undefined: not installed). */
function installed(name: string, dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Every package installed for the runtime: `dependencies` and the optional ones present, recursively. */
function runtimeTree(): Map<string, Manifest> {
  const seen = new Map<string, Manifest>();
  const visit = (dir: string, manifest: Manifest) => {
    for (const [name, optional] of [
      ...Object.keys(manifest.dependencies ?? {}).map((n) => [n, false] as const),
      ...Object.keys(manifest.optionalDependencies ?? {}).map((n) => [n, true] as const),
    ]) {
      const at = installed(name, dir);
      if (!at) {
        if (optional) continue; // another platform's binaries
        throw new Error(`${name} (a dependency of ${manifest.name}) is not installed: run npm ci`);
      }
      if (seen.has(at)) continue;
      const m = read(at);
      seen.set(at, m);
      visit(at, m);
    }
  };
  visit(REPO, read(REPO));
  return seen;
}

/** Node APIs the runtime code uses that are younger than Node 20.0, and the first Node 20 release with each. */
const CODE_NEEDS: Array<{ api: string; since: string }> = [
  { api: "crypto.hash (runner/auth/access.ts: token hashes)", since: "20.12.0" }, // added in v21.7.0, backported to v20.12.0
];

describe("engines.node agrees with the code and the runtime dependencies", () => {
  const ours = read(REPO).engines?.node ?? "*";

  test("engines.node is a valid range", () => {
    expect(semver.validRange(ours)).not.toBeNull();
  });

  test("When a package installed for the runtime supports fewer Node versions than engines.node admits, then this fails naming it", () => {
    const tree = runtimeTree();
    expect(tree.size).toBeGreaterThan(50); // the walk found the tree (express, pg, pino, @pulumi/pulumi and theirs)
    const narrower = [...tree.values()]
      .filter((m) => m.engines?.node && semver.validRange(m.engines.node) && !semver.subset(ours, m.engines.node))
      .map((m) => `${m.name}@${m.version} needs node ${m.engines!.node}`);
    expect([...new Set(narrower)].sort()).toEqual([]);
  });

  test("When the runtime code uses a Node API younger than the oldest Node engines.node admits, then this fails naming it", () => {
    const missing = CODE_NEEDS.filter((n) => !semver.subset(ours, `>=${n.since}`)).map((n) => `${n.api} needs ${n.since}`);
    expect(missing).toEqual([]);
  });

  test("The examples that install pgrotate ask for the same Node versions", () => {
    for (const example of fs.readdirSync(path.join(REPO, "examples"))) {
      const file = path.join(REPO, "examples", example, "package.json");
      if (!fs.existsSync(file)) continue;
      const m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
      if (m.engines?.node) expect([example, m.engines.node]).toEqual([example, ours]);
    }
  });
});
