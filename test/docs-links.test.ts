/**
 * The user documentation holds together: every relative link and anchor resolves, every `pgrotate …` command it
 * shows is one the CLI defines, every `npm run …` script it shows exists, and the troubleshooting page explains
 * every error code and SQLSTATE the runner answers with. Pure file reads and the CLI's program built in-process:
 * no runner, no database.
 */
import fs from "node:fs";
import path from "node:path";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { buildProgram } from "../runner/cli/program";
import { ERROR_STATUS } from "../runner/errors";

const ROOT = path.join(__dirname, "..");

/** README.md, CONTRIBUTING.md, CHANGELOG.md, SECURITY.md, docs/*.md and examples/**\/README.md, relative to ROOT. */
function docFiles(): string[] {
  const files = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "SECURITY.md"];
  files.push(...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`));
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      if (e.isDirectory() && !["node_modules", "cdktf.out", ".terraform"].includes(e.name)) walk(`${dir}/${e.name}`);
      else if (e.isFile() && e.name === "README.md") files.push(`${dir}/${e.name}`);
    }
  };
  walk("examples");
  return files;
}

interface CodeBlock {
  lang: string;
  lines: string[];
}

/** A Markdown file split into its prose (fenced blocks blanked out, line numbers kept) and its fenced blocks. */
interface ParsedDoc {
  prose: string;
  blocks: CodeBlock[];
}

function parseMarkdown(text: string): ParsedDoc {
  const prose: string[] = [];
  const blocks: CodeBlock[] = [];
  let open: { fence: string; block: CodeBlock } | undefined;
  for (const line of text.split("\n")) {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (open) {
      if (fence && fence[1].startsWith(open.fence) && line.trim() === fence[1]) open = undefined;
      else open.block.lines.push(line);
      prose.push("");
    } else if (fence) {
      open = { fence: fence[1], block: { lang: fence[2].toLowerCase(), lines: [] } };
      blocks.push(open.block);
      prose.push("");
    } else {
      prose.push(line);
    }
  }
  return { prose: prose.join("\n"), blocks };
}

/** GitHub's anchor for a heading: its text, lower-cased, without punctuation, spaces as hyphens. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "").replace(/ /g, "-");
}

/** Every anchor a file offers: one per heading (a repeated one gets -1, -2, … as GitHub numbers them) and explicit ids. */
function anchorsOf(text: string): Set<string> {
  const { prose } = parseMarkdown(text);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose.split("\n")) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = githubSlug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  return anchors;
}

/** Inline code spans of the prose. */
const inlineCode = (prose: string): string[] => [...prose.matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)].map((m) => m[2].trim());

/** Relative link targets of a file's prose (Markdown links and images, HTML src/href), outside code. */
function relativeLinks(text: string): string[] {
  const prose = parseMarkdown(text).prose.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, "");
  const targets = [
    ...[...prose.matchAll(/!?\[(?:[^\]]|\n)*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
    ...[...prose.matchAll(/<(?:img|a|source)\s[^>]*?(?:src|href)="([^"]+)"/g)].map((m) => m[1]),
  ];
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** What a link points at that does not exist, or "" when it resolves. */
function brokenLink(file: string, target: string): string {
  const [rawPath, anchor] = target.split("#", 2) as [string, string | undefined];
  const linkPath = decodeURIComponent(rawPath);
  const resolved = linkPath === "" ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), linkPath);
  if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) return `${target} leaves the repository`;
  if (!fs.existsSync(resolved)) return `${target}: no file ${path.relative(ROOT, resolved)}`;
  if (anchor !== undefined && resolved.endsWith(".md")) {
    if (!anchorsOf(fs.readFileSync(resolved, "utf8")).has(anchor)) return `${target}: no heading with anchor #${anchor} in ${path.relative(ROOT, resolved)}`;
  }
  return "";
}

/**
 * The code a reader may copy: each shell-like fenced block (its comments left out) and each inline code span, one
 * snippet each.
 */
function shownCode(text: string): string[] {
  const { prose, blocks } = parseMarkdown(text);
  const shell = blocks
    .filter((b) => ["", "sh", "bash", "shell", "console", "zsh"].includes(b.lang))
    .map((b) => b.lines.map((l) => l.replace(/(^|\s)#.*$/, "$1")).join("\n"));
  return [...shell, ...inlineCode(prose)];
}

/** The argument words of each `pgrotate …` invocation in a line of code (not `pgrotate/pg`, `kubectl -n pgrotate`, …). */
function pgrotateInvocations(code: string): string[][] {
  const found: string[][] = [];
  for (const m of code.matchAll(/(?:^|[|;&(`]|\$\()\s*pgrotate(?![\w/:.@-])((?:[ \t]+[^\s|;&)#`]+)*)/gm)) {
    found.push(m[1].trim().split(/\s+/).filter(Boolean));
  }
  return found;
}

/** The command and subcommand an invocation names (global options and their values skipped), or undefined when none. */
function commandWords(program: CommandUnknownOpts, args: string[]): { command?: string; sub?: string; rest: string[] } {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("-")) {
      if (takesValue.has(a)) i++;
      continue;
    }
    words.push(a);
  }
  return { command: words[0], sub: words[1], rest: words };
}

const isWord = (w: string | undefined): w is string => w !== undefined && /^[a-z][a-z-]*$/.test(w);

/** What is wrong with an invocation, or "" when the CLI defines its command (and subcommand). */
function unknownCommand(program: CommandUnknownOpts, args: string[]): string {
  const { command, sub } = commandWords(program, args);
  if (!isWord(command) || command === "help") return "";
  const cmd = program.commands.find((c) => c.name() === command || c.aliases().includes(command));
  if (!cmd) return `pgrotate ${command}: no such command (the CLI has ${program.commands.map((c) => c.name()).join(", ")})`;
  if (cmd.commands.length && isWord(sub) && sub !== "help") {
    if (!cmd.commands.some((c) => c.name() === sub || c.aliases().includes(sub))) {
      return `pgrotate ${command} ${sub}: no such subcommand (${command} has ${cmd.commands.map((c) => c.name()).join(", ")})`;
    }
  }
  return "";
}

/** The scripts of the package.json nearest to a folder (an example's own, else the repository's). */
function nearestScripts(folder: string): { pkg: string; scripts: Record<string, string> } {
  let dir = path.join(ROOT, folder);
  while (!fs.existsSync(path.join(dir, "package.json")) && dir !== ROOT) dir = path.dirname(dir);
  const pkg = path.join(dir, "package.json");
  return { pkg: path.relative(ROOT, pkg), scripts: (JSON.parse(fs.readFileSync(pkg, "utf8")) as { scripts?: Record<string, string> }).scripts ?? {} };
}

/**
 * The scripts a snippet runs with `npm run`, each with the folder it runs in: the file's, or the folder a `cd`
 * before it in the snippet moved to (relative to the repository's root, as the pages' commands are written).
 */
function npmRuns(file: string, code: string): { script: string; dir: string }[] {
  const runs: { script: string; dir: string }[] = [];
  let dir = path.dirname(file);
  for (const step of code.split(/\n|&&|;/)) {
    const cd = /^\s*cd\s+(\S+)/.exec(step);
    if (cd && fs.existsSync(path.join(ROOT, cd[1]))) dir = cd[1];
    for (const m of step.matchAll(/\bnpm run(?:-script)?\s+([\w:.-]+)/g)) runs.push({ script: m[1], dir });
  }
  return runs;
}

describe("The documentation holds together", () => {
  const files = docFiles();
  const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), "utf8");

  test("The checked files include the README, the contributor pages, every page of docs/ and every example's README", () => {
    for (const f of ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "SECURITY.md", "docs/getting-started.md", "docs/troubleshooting.md", "docs/production.md", "examples/README.md", "examples/kubernetes/README.md"]) {
      expect(files).toContain(f);
    }
  });

  test("When a heading is turned into an anchor, then it is GitHub's slug (punctuation dropped, underscores and hyphens kept, repeats numbered)", () => {
    expect(githubSlug("Applications: `pgrotate/pg`")).toBe("applications-pgrotatepg");
    expect(githubSlug("Resource `pgrotate_postgres_connection`")).toBe("resource-pgrotate_postgres_connection");
    expect(githubSlug("Option 1: `dev_overrides` (quickest; no `terraform init`)")).toBe("option-1-dev_overrides-quickest-no-terraform-init");
    expect(githubSlug("Class `08` and `57P01`–`57P03`: connection lost")).toBe("class-08-and-57p0157p03-connection-lost");
    expect([...anchorsOf("# A\n\n## Notes\n\n```sh\n# not a heading\n```\n\n## Notes\n")]).toEqual(["a", "notes", "notes-1"]);
  });

  test("When a page links to a file or a heading, then the file exists and the anchor is a heading of it", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const f of files) {
      for (const target of relativeLinks(read(f))) {
        checked++;
        const why = brokenLink(f, target);
        if (why) broken.push(`${f}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  test("When a link is broken, then the check names it (a missing file, a missing anchor, an anchor of a missing heading in the same page)", () => {
    const links = relativeLinks("See [a](docs/nope.md), [b](docs/api.md#no-such-heading), [c](#nowhere), `[d](not-a-link.md)` and [e](docs/api.md#requests).");
    expect(links).toEqual(["docs/nope.md", "docs/api.md#no-such-heading", "#nowhere", "docs/api.md#requests"]);
    expect(brokenLink("README.md", links[0])).toMatch(/no file docs\/nope.md/);
    expect(brokenLink("README.md", links[1])).toMatch(/no heading with anchor #no-such-heading/);
    expect(brokenLink("README.md", links[2])).toMatch(/no heading with anchor #nowhere in README.md/);
    expect(brokenLink("README.md", links[3])).toBe("");
  });

  test("When a page shows a pgrotate command, then the CLI defines that command and subcommand", () => {
    const program = buildProgram() as unknown as CommandUnknownOpts;
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (const f of files) {
      for (const code of shownCode(read(f))) {
        for (const args of pgrotateInvocations(code)) {
          const { command, sub } = commandWords(program, args);
          if (isWord(command)) seen.add(`${command}${isWord(sub) ? ` ${sub}` : ""}`);
          const why = unknownCommand(program, args);
          if (why) wrong.push(`${f}: ${why}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // The check found the commands the pages teach, so it would notice one of them going away.
    for (const c of ["serve --help", "status", "rotations list", "setup-sql", "check my-pg-rotation", "connections create"]) {
      expect([c, [...seen].some((s) => s.startsWith(c.split(" --")[0]))]).toEqual([c, true]);
    }
  });

  test("When a command is not one the CLI defines, then the check names it", () => {
    const program = buildProgram() as unknown as CommandUnknownOpts;
    const invocations = pgrotateInvocations("pgrotate --project shop rotations frobnicate x\nkubectl -n pgrotate port-forward svc/pgrotate 8080\nprintf x | pgrotate launch");
    expect(invocations).toEqual([["--project", "shop", "rotations", "frobnicate", "x"], ["launch"]]);
    expect(unknownCommand(program, invocations[0])).toMatch(/pgrotate rotations frobnicate: no such subcommand/);
    expect(unknownCommand(program, invocations[1])).toMatch(/pgrotate launch: no such command/);
    expect(unknownCommand(program, ["--url", "http://x", "rotations", "rotate", "r", "--force"])).toBe("");
  });

  test("When a page shows npm run <script>, then that script exists in the nearest package.json", () => {
    const missing: string[] = [];
    let checked = 0;
    for (const f of files) {
      for (const code of shownCode(read(f))) {
        for (const { script, dir } of npmRuns(f, code)) {
          checked++;
          const { pkg, scripts } = nearestScripts(dir);
          if (!(script in scripts)) missing.push(`${f}: npm run ${script} (not in ${pkg})`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(5);
  });

  test("The README keeps the commands CI and newcomers rely on: npm install, npm start, npm test and the demo", () => {
    const readme = read("README.md");
    const code = shownCode(readme).join("\n");
    for (const c of ["npm install", "npm start", "npm test", "npm run demo -- --keep"]) expect([c, code.includes(c)]).toEqual([c, true]);
    expect(readme.split("\n").length).toBeLessThanOrEqual(200);
    expect(readme).toMatch(/!\[[^\]]*\]\(docs\/console-rotations\.png\)/);
  });

  test("When the runner answers with an error code, then docs/troubleshooting.md has a heading for it", () => {
    const anchors = anchorsOf(read("docs/troubleshooting.md"));
    const codes = Object.keys(ERROR_STATUS);
    expect(codes.length).toBeGreaterThan(10);
    expect(codes.filter((c) => !anchors.has(githubSlug(`\`${c}\``)))).toEqual([]);
  });

  test("When the runner recognises a SQLSTATE, then docs/troubleshooting.md has a heading naming it", () => {
    const headings = parseMarkdown(read("docs/troubleshooting.md"))
      .prose.split("\n")
      .filter((l) => l.startsWith("### "))
      .join("\n");
    const named = [...fs.readFileSync(path.join(ROOT, "runner/sqlstate.ts"), "utf8").matchAll(/^export const \w+ = "([0-9A-Z]{5})";/gm)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(5);
    // The classes runner/sqlstate.ts tests by prefix (isDataException, isConnectionLoss).
    const classes = ["Class `22`", "Class `08`", "`57P01` to `57P03`"];
    expect([...named.filter((c) => !headings.includes(`\`${c}\``)), ...classes.filter((c) => !headings.includes(c))]).toEqual([]);
  });
});
