#!/usr/bin/env node
// After `tsc`: copies the files the compiled code reads at run time next to it in the output folder (dist/, or
// the one given: dist-bench/), so the package needs nothing from the sources: the store's SQL migrations and
// the Terraform plugin's protocol files.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const out = process.argv[2] ?? "dist";
const assets = [
  { from: "runner/store/migrations", to: `${out}/runner/store/migrations`, pattern: /\.sql$/ },
  { from: "provider/terraform", to: `${out}/provider/terraform`, pattern: /\.proto$/ },
];

for (const a of assets) {
  const dest = path.join(root, a.to);
  fs.mkdirSync(dest, { recursive: true });
  // A copy whose source is gone (a renamed migration) would still run: the output holds exactly the sources' files.
  for (const f of fs.readdirSync(dest)) {
    if (a.pattern.test(f) && !fs.existsSync(path.join(root, a.from, f))) fs.rmSync(path.join(dest, f));
  }
  for (const f of fs.readdirSync(path.join(root, a.from))) {
    if (a.pattern.test(f)) fs.copyFileSync(path.join(root, a.from, f), path.join(dest, f));
  }
}
