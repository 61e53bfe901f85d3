import fs from "node:fs";
import path from "node:path";

let cached: string | undefined;

/** pgrotate's version, from its package.json (found upwards from this file, in the sources and in dist/). */
export function packageVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "pgrotate" && pkg.version) return (cached = pkg.version);
    }
    if (path.dirname(dir) === dir) return (cached = "0.0.0");
  }
}
