/**
 * The CLI's kubectl-like behaviour: help without arguments, help that shows global options and examples, JSON
 * errors, completion, version, login profiles, `rotations wait` and `--watch`. The built CLI against a real runner.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { CommanderError } from "@commander-js/extra-typings";
import { EXAMPLES } from "../runner/cli/examples";
import { allCommands, commandPath } from "../runner/cli/help";
import { buildProgram } from "../runner/cli/program";
import { runCli, type CliRun } from "./helpers/cli";
import { CLI } from "./helpers/process";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (r: CliRun): any => JSON.parse(r.stdout);
const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, "../package.json"), "utf8")) as { version: string }).version;

/** A port nothing listens on (bound once by the OS, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}


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
  let target: Target;
  let rotationId: string;
  let work: string;
  /** Each create and rotation step waits this long after verifying a user (an attempt in flight to wait for). */
  let slowMs = 0;
  /** Every password a rotation's user held: the last test checks no output shows one but with --show. */
  const passwords = new Set<string>();
  const learnPasswords = async (id: string) => {
    const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
    for (const c of creds.generatedCredentials) passwords.add(c.password);
    return creds as { generatedCredentials: Array<{ username: string; password: string }>; activeIndex: number };
  };
  let env: Record<string, string | undefined>;
  const runs: CliRun[] = [];
  const cli = async (args: string[], o: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}) => {
    const r = await runCli(args, { env: { ...env, ...o.env }, input: o.input, timeoutMs: o.timeoutMs });
    runs.push(r);
    return r;
  };

  beforeAll(async () => {
    t = await startTestRunner({ faults: { afterVerify: async () => void (slowMs && (await sleep(slowMs))) } });
    target = await createTarget({ prefix: "kctl" });
    passwords.add(target.admin.password);
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody("kctl-db"));
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users, { name: "orders-db", projectId: "shop" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
    await learnPasswords(rotationId);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-kubectl-"));
    // No token file, no profile: each test says which it uses.
    env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, PGROTATE_DATA_DIR: path.join(work, "data"), XDG_CONFIG_HOME: path.join(work, "config"), NO_COLOR: "1" };
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
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

  test("secrets list without --show lists the names the folder's rotations map and reads no value (no secret read in the audit log); --show reads them", async () => {
    const reads = async () => (await t.api("GET", "/api/v1/audit-logs?action=secrets.read&limit=1000")).body.auditLogs as unknown[];
    const before = await reads();
    const list = await cli(["--project", "shop", "secrets", "list"]);
    expect([list.code, list.stderr]).toEqual([0, ""]);
    expect(list.stdout.split("\n")).toEqual([
      expect.stringMatching(/^NAME\s+VALUE\s+HOLDS\s+UPDATED$/),
      expect.stringMatching(/^POSTGRES_DB_PASSWORD\s+\*{8} \(--show\)\s+password of rotation orders-db\s+just now$/),
      expect.stringMatching(/^POSTGRES_DB_USERNAME\s+\*{8} \(--show\)\s+username of rotation orders-db\s+just now$/),
      "",
    ]);
    const asJson = json(await cli(["--project", "shop", "secrets", "list", "--json"]));
    expect(asJson).toEqual([
      { secretKey: "POSTGRES_DB_PASSWORD", holds: "password", rotation: { id: rotationId, name: "orders-db" }, updatedAt: expect.any(String) },
      { secretKey: "POSTGRES_DB_USERNAME", holds: "username", rotation: { id: rotationId, name: "orders-db" }, updatedAt: expect.any(String) },
    ]);
    expect((await cli(["--project", "elsewhere", "secrets", "list"])).stdout).toBe("No secrets in elsewhere/dev/.\n");
    await sleep(250); // audit rows are written after the response
    expect(await reads()).toEqual(before);

    const creds = await learnPasswords(rotationId);
    const shown = await cli(["--project", "shop", "secrets", "list", "--show"]);
    expect(shown.stdout).toMatch(new RegExp(`^POSTGRES_DB_PASSWORD\\s+${creds.generatedCredentials[creds.activeIndex].password}\\s+\\d+\\s+`, "m"));
    await sleep(250);
    expect((await reads()).length).toBe(before.length + 1);
  });

  test("completion bash prints a script that bash parses and that completes commands, subcommands and options from the command tree", async () => {
    const r = await cli(["completion", "bash"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const file = path.join(work, "pgrotate.bash");
    fs.writeFileSync(file, r.stdout);
    expect(spawnSync("bash", ["-n", file], { encoding: "utf8" })).toMatchObject({ status: 0, stderr: "" });
    const complete = (words: string[]) => {
      const script = `source ${JSON.stringify(file)}; complete -p pgrotate; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _pgrotate; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const out = spawnSync("bash", ["-c", script], { encoding: "utf8" });
      expect(out.stderr).toBe("");
      return out.stdout.trim().split("\n");
    };
    const [registered, ...top] = complete(["pgrotate", ""]);
    expect(registered).toBe("complete -F _pgrotate pgrotate");
    const program = buildProgram();
    expect(top).toEqual(expect.arrayContaining([...program.commands.map((c) => c.name()), "--url", "--json"]));
    expect(top).toEqual(expect.arrayContaining(["serve", "rotations", "secrets", "completion"]));
    expect(complete(["pgrotate", "--project", "shop", "rotations", "r"]).slice(1)).toEqual(["rotate"]);
    expect(complete(["pgrotate", "rotations", "rotate", "orders-db", "--f"]).slice(1)).toEqual(["--force"]);
    expect(complete(["pgrotate", "connections", "create", "--ho"]).slice(1)).toEqual(["--host"]);
    expect(complete(["pgrotate", "completion", ""]).slice(1)).toEqual(expect.arrayContaining(["bash", "zsh", "fish"]));

    const zsh = await cli(["completion", "zsh"]);
    expect(zsh.stdout).toMatch(/^#compdef pgrotate\n/);
    expect(zsh.stdout).toContain("'rotations rotate')");
    expect(zsh.stdout).toContain("'--force:rotate within 10 minutes");
    const fish = await cli(["completion", "fish"]);
    expect(fish.stdout).toContain("complete -c pgrotate -n '__fish_seen_subcommand_from rotations; and not __fish_seen_subcommand_from list get");
    expect(fish.stdout).toContain("complete -c pgrotate -n '__fish_seen_subcommand_from rotations; and __fish_seen_subcommand_from rotate' -l force -d");
    const bad = await cli(["completion", "powershell"]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/value 'powershell' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish/)]);
  });

  test("version prints the client's and the runner's versions (no token needed); an unreachable runner is said so, with exit 0", async () => {
    const r = await cli(["version"], { env: { PGROTATE_TOKEN: undefined } });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(`Client  ${VERSION}\nRunner  ${VERSION} (${t.runner.url})\n`);
    expect(json(await cli(["version", "--json"]))).toEqual({ client: VERSION, runner: { url: t.runner.url, version: VERSION } });
    const url = `http://127.0.0.1:${await closedPort()}`;
    const down = await cli(["--url", url, "version"]);
    expect([down.code, down.stderr]).toEqual([0, ""]);
    expect(down.stdout).toMatch(new RegExp(`^Client  ${VERSION.replace(/\./g, "\\.")}\nRunner  unknown: Could not reach the pgrotate runner at ${url} .*ECONNREFUSED\n$`));
    const downJson = await cli(["--url", url, "version", "--json"]);
    expect([downJson.code, json(downJson)]).toEqual([0, { client: VERSION, runner: { url, version: null, error: expect.stringMatching(/^Could not reach the pgrotate runner/) } }]);
  });

  describe("login", () => {
    const config = () => path.join(work, "login-config");
    const file = () => path.join(config(), "pgrotate", "profiles.json");
    /** No URL, token or profile from the environment: only what the profiles file holds. */
    const bare = (extra: Record<string, string | undefined> = {}) => ({ PGROTATE_URL: undefined, PGROTATE_TOKEN: undefined, XDG_CONFIG_HOME: config(), ...extra });
    let identity: { clientId: string; clientSecret: string };

    beforeAll(async () => {
      const created = await t.api("POST", "/api/v1/auth/identities", { name: "kctl-app", permission: "read", projectId: "shop" });
      expect(created.status).toBe(200);
      identity = { clientId: created.body.clientId, clientSecret: created.body.clientSecret };
    });

    test("login verifies a token against the runner and saves it in a named profile (file 0600, directory 0700) without printing it; the profile then serves every command", async () => {
      const r = await cli(["login", "--profile", "lab", "--url", t.runner.url], { env: bare({ PGROTATE_TOKEN: t.runner.adminToken }) });
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout).toBe(`Saved profile lab (${t.runner.url}, token) to ${file()}.\nVerified: the runner accepts it as admin (manage).\nUse it with --profile lab or PGROTATE_PROFILE=lab.\n`);
      expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file())).mode & 0o777).toBe(0o700);
      expect(JSON.parse(fs.readFileSync(file(), "utf8"))).toEqual({ profiles: { lab: { url: t.runner.url, token: t.runner.adminToken } } });

      const byFlag = await cli(["--profile", "lab", "--project", "shop", "rotations", "list", "--json"], { env: bare() });
      expect([byFlag.code, byFlag.stderr, json(byFlag).map((x: { name: string }) => x.name)]).toEqual([0, "", ["orders-db"]]);
      const byEnv = await cli(["--project", "shop", "rotations", "get", "orders-db", "--json"], { env: bare({ PGROTATE_PROFILE: "lab" }) });
      expect([byEnv.code, json(byEnv).id]).toEqual([0, rotationId]);
      const unknown = await cli(["--profile", "nope", "rotations", "list"], { env: bare() });
      expect([unknown.code, unknown.stderr]).toEqual([2, `pgrotate: No profile "nope" in ${file()}: save one with pgrotate login --profile nope --url <runner URL>\n`]);
    });

    test("A token typed on stdin is saved too; login without --profile saves the profile named default, which commands then use without being told", async () => {
      const r = await cli(["login", "--url", t.runner.url, "--json"], { env: bare(), input: t.runner.adminToken + "\n" });
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(json(r)).toEqual({ profile: "default", file: file(), url: t.runner.url, caFile: null, auth: "token", verified: true });
      const used = await cli(["status", "--json"], { env: bare() });
      expect([used.code, json(used).keys]).toEqual([0, expect.any(Object)]); // the admin token's part of status
    });

    test("login refuses credentials the runner refuses and saves nothing; --no-verify saves them, and the runner then refuses them", async () => {
      const before = fs.readFileSync(file(), "utf8");
      const wrong = await cli(["login", "--profile", "bad", "--url", t.runner.url], { env: bare({ PGROTATE_TOKEN: "pgr_tok_not-a-token" }) });
      expect([wrong.code, wrong.stdout, wrong.stderr]).toEqual([1, "", "pgrotate: Invalid, expired or revoked token (check --token / PGROTATE_TOKEN)\n"]);
      const wrongId = await cli(["login", "--profile", "bad", "--url", t.runner.url, "--client-id", identity.clientId], { env: bare(), input: "not-the-secret" });
      expect([wrongId.code, wrongId.stdout]).toEqual([1, ""]);
      expect(fs.readFileSync(file(), "utf8")).toBe(before);
      const unverified = await cli(["login", "--profile", "bad", "--url", t.runner.url, "--no-verify"], { env: bare({ PGROTATE_TOKEN: "pgr_tok_not-a-token" }) });
      expect([unverified.code, unverified.stdout]).toEqual([0, expect.stringContaining("Not verified (--no-verify).")]);
      const refused = await cli(["--profile", "bad", "rotations", "list"], { env: bare() });
      expect([refused.code, refused.stderr]).toEqual([1, "pgrotate: Invalid, expired or revoked token (check --token / PGROTATE_TOKEN)\n"]);
    });

    test("A machine identity profile logs in with its client id and secret for each command; its secret is never printed", async () => {
      const r = await cli(["login", "--profile", "app", "--url", t.runner.url, "--client-id", identity.clientId], { env: bare(), input: identity.clientSecret });
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout).toMatch(new RegExp(`^Saved profile app \\(${t.runner.url}, machine identity ${identity.clientId}\\) to .*\\nVerified: the runner accepts it as identity with client id ${identity.clientId}\\.\\n`));
      expect(JSON.parse(fs.readFileSync(file(), "utf8")).profiles.app).toEqual({ url: t.runner.url, ...identity });
      const list = await cli(["--profile", "app", "--project", "shop", "secrets", "list", "--json"], { env: bare() });
      expect([list.code, list.stderr, json(list).length]).toEqual([0, "", 2]);
      // Its scope is the shop project: another project is the runner's refusal, not a missing token.
      const outside = await cli(["--profile", "app", "--project", "elsewhere", "secrets", "list", "--show"], { env: bare() });
      expect(outside.code).toBe(1);
      const fromEnv = await cli(["login", "--profile", "app2", "--url", t.runner.url, "--client-id", identity.clientId], { env: bare({ PGROTATE_CLIENT_SECRET: identity.clientSecret }) });
      expect(fromEnv.code).toBe(0);
      for (const run of runs) expect(run.stdout + run.stderr).not.toContain(identity.clientSecret);
    });

    test("Flags and environment variables win over the profile, and a profile's credentials are never sent to another URL", async () => {
      const flag = await cli(["--profile", "lab", "--token", "pgr_tok_not-a-token", "rotations", "list"], { env: bare() });
      expect([flag.code, flag.stderr]).toEqual([1, "pgrotate: Invalid, expired or revoked token (check --token / PGROTATE_TOKEN)\n"]);
      const envToken = await cli(["--profile", "bad", "--project", "shop", "rotations", "list", "--json"], { env: bare({ PGROTATE_TOKEN: t.runner.adminToken }) });
      expect([envToken.code, json(envToken).length]).toEqual([0, 1]);
      const url = `http://127.0.0.1:${await closedPort()}`;
      const elsewhere = await cli(["--profile", "lab", "--url", url, "rotations", "list"], { env: bare() });
      expect([elsewhere.code, elsewhere.stderr]).toEqual([2, expect.stringMatching(/^pgrotate: No token: pass --token or set PGROTATE_TOKEN, or save a profile with pgrotate login/)]);
      const viaEnv = await cli(["--profile", "lab", "version", "--json"], { env: bare({ PGROTATE_URL: url }) });
      expect(json(viaEnv).runner).toEqual({ url, version: null, error: expect.stringMatching(/^Could not reach/) });
    });
  });

  describe("rotations wait and --watch", () => {
    let connectionId: string;
    beforeAll(async () => {
      connectionId = (await t.api("GET", "/api/v1/app-connections/postgres/connection-name/kctl-db")).body.appConnection.id;
    });
    const users = async (tag: string): Promise<[string, string]> => [await target.addRole(`${tag}_a`), await target.addRole(`${tag}_b`)];
    /** Starts creating a rotation whose create takes a few seconds; resolves once the runner shows it (pending). */
    async function slowCreate(name: string) {
      slowMs = 1500;
      const done = t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, await users(name.replace(/-/g, "_")), { name, projectId: "shop", secretsMapping: { username: `${name}_U`, password: `${name}_P` } }));
      const byName = () => t.api("GET", `${ROTATIONS}/rotation-name/${name}?projectId=shop&environment=dev&secretPath=/`);
      for (let i = 0; i < 100 && (await byName()).status !== 200; i++) await sleep(20);
      expect((await byName()).body.secretRotation.rotationStatus).toBe("pending");
      return done.finally(() => (slowMs = 0));
    }

    test("rotations wait waits until a rotation in flight ends and exits 0 when it succeeded", async () => {
      let finished = false;
      const creating = slowCreate("wait-db").then((r) => ((finished = true), r));
      const r = await cli(["--project", "shop", "rotations", "wait", "wait-db"]);
      expect([r.code, r.stderr, finished]).toEqual([0, "", true]);
      expect(r.stdout).toMatch(/^wait-db: Rotates in 3[01] days; \S+ is active \(last rotated just now \(.* UTC\)\)\.\n$/);
      expect((await creating).status).toBe(200);
      await learnPasswords((await creating).body.secretRotation.id);
      const settled = await cli(["--project", "shop", "rotations", "wait", "wait-db", "--json"]);
      expect([settled.code, json(settled).rotationStatus]).toEqual([0, "success"]);
    });

    test("rotations wait gives up at --timeout with exit 4 (a Timeout error with --json)", async () => {
      const creating = slowCreate("late-db");
      const r = await cli(["--project", "shop", "rotations", "wait", "late-db", "--timeout", "1"]);
      expect([r.code, r.stdout, r.stderr]).toEqual([4, "", "pgrotate: Timed out after 1 s: rotation late-db is still being created\n"]);
      const j = await cli(["--project", "shop", "rotations", "wait", "late-db", "--timeout", "1", "--json"]);
      expect([j.code, JSON.parse(j.stderr)]).toEqual([4, { error: "Timeout", message: "Timed out after 1 s: rotation late-db is still being created", exitCode: 4, meaning: "rotations wait: the rotation was still in flight at --timeout" }]);
      expect((await creating).status).toBe(200);
      await learnPasswords((await creating).body.secretRotation.id);
    });

    test("rotations wait exits 1 and prints the reason when the rotation failed", async () => {
      await target.sql(`ALTER ROLE "${target.admin.username}" NOCREATEROLE`);
      try {
        const rotate = await cli(["--project", "shop", "rotations", "rotate", "wait-db", "--force"]);
        expect(rotate.code).toBe(1);
        const r = await cli(["--project", "shop", "rotations", "wait", "wait-db"]);
        expect([r.code, r.stderr]).toEqual([1, ""]);
        expect(r.stdout).toMatch(/^wait-db: Rotation Failed: .+\n$/);
      } finally {
        await target.sql(`ALTER ROLE "${target.admin.username}" CREATEROLE`);
      }
    });

    /** The CLI running until it is stopped: its output so far, and a way to wait for more. */
    function follow(args: string[]) {
      const childEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined && (!k.startsWith("PGROTATE_") || k in env)) childEnv[k] = v;
      const child = spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
      const o = { stdout: "", stderr: "" };
      child.stdout.on("data", (d) => (o.stdout += d));
      child.stderr.on("data", (d) => (o.stderr += d));
      const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
      const until = async (ok: () => boolean) => {
        for (let i = 0; i < 200 && !ok(); i++) await sleep(50);
        expect([o.stdout, ok()]).toEqual([o.stdout, true]);
      };
      return { o, until, stop: () => (child.kill("SIGINT"), exited) };
    }

    test("rotations get --watch --json prints one JSON document per change until Ctrl-C (exit 0); list --watch prints the table again on each change", async () => {
      const id = (await t.api("GET", `${ROTATIONS}/rotation-name/wait-db?projectId=shop&environment=dev&secretPath=/`)).body.secretRotation.id;
      const get = follow(["--project", "shop", "rotations", "get", "wait-db", "--watch", "--json"]);
      const list = follow(["--project", "shop", "rotations", "list", "--watch"]);
      await get.until(() => get.o.stdout.split("\n").length === 2);
      await list.until(() => /^wait-db\s/m.test(list.o.stdout));
      await sleep(1500); // no change: nothing more
      expect(get.o.stdout.split("\n")).toHaveLength(2);
      expect(JSON.parse(get.o.stdout)).toMatchObject({ id, rotationStatus: "failed" });
      const rotated = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
      expect(rotated.status).toBe(200);
      await learnPasswords(id);
      await get.until(() => get.o.stdout.split("\n").length === 3);
      const [first, second] = get.o.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect([first.rotationStatus, second.rotationStatus, second.activeIndex]).toEqual(["failed", "success", 1 - first.activeIndex]);
      await list.until(() => list.o.stdout.split(/^NAME\s/m).length === 3);
      expect(list.o.stdout).toMatch(/^wait-db\s+shop\/dev\/\s+Rotation Failed[\s\S]*\n\nNAME\s[\s\S]*^wait-db\s+shop\/dev\/\s+Rotates in/m);
      expect([await get.stop(), get.o.stderr]).toEqual([0, ""]);
      expect([await list.stop(), list.o.stderr]).toEqual([0, ""]);
    });
  });

  test("No password, token or client secret was printed, but with --show", () => {
    expect(passwords.size).toBeGreaterThanOrEqual(7);
    for (const r of runs) {
      for (const secret of passwords) if (!r.args.includes("--show")) expect([r.args.join(" "), r.stdout.includes(secret) || r.stderr.includes(secret)]).toEqual([r.args.join(" "), false]);
      expect([r.args.join(" "), (r.stdout + r.stderr).includes(t.runner.adminToken)]).toEqual([r.args.join(" "), false]);
    }
  });
});
