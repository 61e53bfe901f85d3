/**
 * The CLI's kubectl-like behaviour: help without arguments, help that shows global options and examples, JSON
 * errors, completion, version, login profiles, `rotations wait` and `--watch`. The built CLI against a real runner.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CommanderError } from "@commander-js/extra-typings";
import { EXAMPLES } from "../runner/cli/examples";
import { allCommands, commandPath } from "../runner/cli/help";
import { buildProgram } from "../runner/cli/program";
import { runCli, type CliRun } from "./helpers/cli";
import { startTestRunner, type TestRunner } from "./helpers/runner";


/** The arguments after `pgrotate` in an example line, as a shell splits them (up to a pipe, redirection or comment). */
function exampleArgs(line: string): string[] {
  const at = /(^|[\s(])pgrotate\s/.exec(line)!;
  const rest = line.slice(at.index + at[1].length).replace(/^pgrotate\s+/, "");
  const args: string[] = [];
  let cur: string | undefined;
  let quote = "";
  for (const ch of rest) {
    if (quote) {
      if (ch === quote) quote = "";
      else cur = (cur ?? "") + ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur ??= "";
    } else if (/\s/.test(ch)) {
      if (cur !== undefined) args.push(cur);
      cur = undefined;
    } else if ("|>)#".includes(ch)) {
      break;
    } else cur = (cur ?? "") + ch;
  }
  if (cur !== undefined) args.push(cur);
  return args;
}

/** Parses `args` with every command's action replaced by nothing: what commander refuses, with its message. */
async function parseOnly(args: string[]): Promise<string | undefined> {
  const program = buildProgram();
  let err = "";
  for (const c of allCommands(program)) c.configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined }).action(() => undefined);
  try {
    await program.parseAsync(["node", "pgrotate", ...args]);
    return undefined;
  } catch (e) {
    return e instanceof CommanderError ? err || e.message : String(e);
  }
}

describe("pgrotate CLI, kubectl-like", () => {
  let t: TestRunner;
  let work: string;
  let env: Record<string, string | undefined>;
  const runs: CliRun[] = [];
  const cli = async (args: string[], o: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}) => {
    const r = await runCli(args, { env: { ...env, ...o.env }, input: o.input, timeoutMs: o.timeoutMs });
    runs.push(r);
    return r;
  };

  beforeAll(async () => {
    t = await startTestRunner();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-kubectl-"));
    // No token file, no profile: each test says which it uses.
    env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, PGROTATE_DATA_DIR: path.join(work, "data"), XDG_CONFIG_HOME: path.join(work, "config"), NO_COLOR: "1" };
  });
  afterAll(async () => {
    await t?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test("pgrotate without arguments prints the help and exits 0 without starting a runner", async () => {
    const r = await cli([], { env: { PGROTATE_PORT: "0" }, timeoutMs: 10_000 });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^Usage: pgrotate \[options\] \[command\]/);
    expect(r.stdout).toMatch(/^\s+serve\s+start the runner/m);
    expect(r.stdout).not.toMatch(/listening on/);
  });

  test("Every command's help shows the global options, marks required options and ends with examples that parse", async () => {
    const program = buildProgram();
    const commands = allCommands(program);
    expect(commands.length).toBeGreaterThan(30);
    for (const cmd of commands) {
      const name = commandPath(cmd);
      const examples = EXAMPLES[name] ?? [];
      expect([name, examples.length > 0]).toEqual([name, true]);
      for (const example of examples) {
        const args = exampleArgs(example);
        expect([example, args.filter((a) => !a.startsWith("-")).join(" ")]).toEqual([example, expect.stringContaining(name)]);
        expect([example, await parseOnly(args)]).toEqual([example, undefined]);
      }
    }
    const help = await cli(["connections", "create", "--help"]);
    expect([help.code, help.stderr]).toEqual([0, ""]);
    expect(help.stdout).toMatch(/^ {2}--name <slug>\s+unique name \(required\)$/m);
    expect(help.stdout).toMatch(/^Global Options:\n[\s\S]*--url <url>[\s\S]*--json/m);
    expect(help.stdout).toMatch(/\nExamples:\n {2}printf '%s' "\$ADMIN_PASSWORD" \| pgrotate connections create --name orders /);
    const root = await cli(["--help"]);
    expect(root.stdout).toMatch(/\nExit codes:\n {2}0 {2}success\n {2}1 {2}.*\n {2}2 {2}bad command line.*\n {2}3 {2}the runner could not be reached/);
  });

  test("With --json an error is one JSON document on stderr with the code, the message and the exit code's meaning; the exit codes stay", async () => {
    const errorOf = (r: CliRun) => {
      expect([r.args.join(" "), r.stdout, r.stderr.trim().split("\n").length]).toEqual([r.args.join(" "), "", 1]);
      return JSON.parse(r.stderr);
    };
    const missing = await cli(["--json", "rotations", "get", "nope"]);
    expect([missing.code, errorOf(missing)]).toEqual([1, {
      error: "NotFound", message: 'No secret rotation named "nope" in project default, environment dev, path /', exitCode: 1,
      meaning: "the runner refused or failed the request, a check found a problem (check, status), or the operator declined",
    }]);
    const typo = await cli(["rotatoins", "--json"]);
    expect([typo.code, errorOf(typo)]).toEqual([2, { error: "UsageError", message: expect.stringMatching(/^unknown command 'rotatoins'/), exitCode: 2, meaning: "bad command line, or a missing token or confirmation (--yes)" }]);
    const noSub = await cli(["rotations", "--json"]);
    expect([noSub.code, errorOf(noSub)]).toEqual([2, expect.objectContaining({ error: "UsageError", message: "a subcommand is required (see --help)" })]);
    const noToken = await cli(["tokens", "list", "--json"], { env: { PGROTATE_TOKEN: undefined } });
    expect([noToken.code, errorOf(noToken)]).toEqual([2, expect.objectContaining({ error: "UsageError", message: expect.stringMatching(/^No token: pass --token/) })]);
    const wrong = await cli(["--json", "--token", "not-a-token", "rotations", "list"]);
    expect([wrong.code, errorOf(wrong)]).toEqual([1, expect.objectContaining({ error: "Unauthorized", message: "Invalid, expired or revoked token (check --token / PGROTATE_TOKEN)" })]);
    const unknown = await cli(["--json", "tokens", "revoke", "nobody"]);
    expect([unknown.code, errorOf(unknown)]).toEqual([1, expect.objectContaining({ error: "Error", exitCode: 1 })]);
    // Without --json: the one line for people, as before.
    const plain = await cli(["rotations", "get", "nope"]);
    expect([plain.code, plain.stderr]).toEqual([1, 'pgrotate: No secret rotation named "nope" in project default, environment dev, path /\n']);
    const help = await cli(["--help"]);
    expect(help.stdout).toContain('With --json an error is one line of JSON on stderr: {"error": code, "message": …, "exitCode": n, "meaning": …}.');
  });
});
