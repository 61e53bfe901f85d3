/**
 * Text from the runner never reaches the terminal with a control character in it. PostgreSQL role names may hold
 * any character but NUL, target servers' messages quote them, and rows stored before the API refused control
 * characters in descriptions may still hold some: the CLI's human output writes each control character out as
 * visible text ("\u001b"), and --json stays the exact JSON of the API's objects.
 */
/* eslint-disable no-control-regex -- these tests look for control characters */
import { runCli, runCliOnTerminal, type CliRun } from "./helpers/cli";
import { uniqueName } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
/** C0 and C1 control characters and DEL, line feed aside (it ends the lines). */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** Escape sequences a hostile name could carry: a colour, clear screen, a window title (OSC … BEL) and an 8-bit CSI. */
const hostile = (tag: string) => `${uniqueName(tag)}\u001b[31m\u001b[2J\u001b]0;owned\u0007\u009b1A`;

describe("pgrotate CLI: control characters from the runner never reach the terminal", () => {
  let t: TestRunner;
  let target: Target;
  let rotationId: string;
  let env: Record<string, string | undefined>;
  const cli = (args: string[], extra: Record<string, string | undefined> = {}) => runCli(args, { env: { ...env, ...extra } });
  const clean = (r: CliRun) => {
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stderr).not.toMatch(CONTROL);
  };

  beforeAll(async () => {
    target = await createTarget({ prefix: "cli_esc", usernames: [hostile("esc_a"), hostile("esc_b")] });
    t = await startTestRunner({ logLevel: "warn" });
    env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, NO_COLOR: "1" };
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody("esc-db"));
    expect(conn.status).toBe(200);
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users, { name: "esc-rotation", projectId: "esc" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("When a rotation of users whose names hold escape sequences fails, then rotate, get, list, history and credentials print no control character and show them escaped; --json is the API's exact object", async () => {
    // The connection role loses its right to change passwords: the next rotation fails on the target.
    await target.sql(`ALTER ROLE "${target.admin.username}" NOCREATEROLE`);
    const rotate = await cli(["--project", "esc", "rotations", "rotate", "esc-rotation"]);
    expect(rotate.code).toBe(1);
    clean(rotate);
    expect(rotate.stderr).toMatch(/^pgrotate: .+/);

    const get = await cli(["--project", "esc", "rotations", "get", "esc-rotation"]);
    expect([get.code, get.stderr]).toEqual([0, ""]);
    clean(get);
    expect(get.stdout).toMatch(/^Status\s+Rotation Failed/m);
    expect(get.stdout).toMatch(/^Last message\s+\S.*$/m);
    // The names are there, each control character written out as text.
    expect(get.stdout).toContain(`${target.users[0].slice(0, 16)}\\u001b[31m\\u001b[2J\\u001b]0;owned\\u0007\\u009b1A`);

    for (const args of [["rotations", "list"], ["rotations", "history", rotationId], ["credentials", rotationId]]) {
      const r = await cli(args);
      expect([args, r.code, r.stderr]).toEqual([args, 0, ""]);
      clean(r);
    }

    const asJson = await cli(["rotations", "get", rotationId, "--json"]);
    expect(asJson.code).toBe(0);
    expect(asJson.stdout).not.toMatch(CONTROL); // JSON writes them as \u escapes, C1 and DEL included
    const api = (await t.api("GET", `${ROTATIONS}/${rotationId}`)).body.secretRotation;
    expect(JSON.parse(asJson.stdout)).toEqual(api);
    expect(api.parameters.username1).toBe(target.users[0]);
  });

  test("secrets get NAME --show prints the value exactly into a pipe (for scripts) and written out on a terminal", async () => {
    const args = ["--project", "esc", "secrets", "get", "POSTGRES_DB_USERNAME", "--show"];
    const active = (await t.api("GET", `${ROTATIONS}/${rotationId}`)).body.secretRotation;
    const username = active.activeIndex === 0 ? target.users[0] : target.users[1];
    const piped = await cli(args);
    expect([piped.code, piped.stdout, piped.stderr]).toEqual([0, `${username}\n`, ""]);
    const onTerminal = await runCliOnTerminal(args, { env, answers: [] });
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.transcript.replace(/\r\n/g, "\n")).toBe(`${username.replace(/\u001b/g, "\\u001b").replace(/\u0007/g, "\\u0007").replace(/\u009b/g, "\\u009b")}\n`);
  });

  test("When a description stored before control characters were refused holds some, then get shows it escaped, and colours still work around it", async () => {
    await t.runner.pool.query("UPDATE rotations SET description = $2 WHERE id = $1", [rotationId, "before\u001b[2J\u001b]52;c;b3duZWQ=\u0007\r\nafter"]);
    const get = await cli(["--project", "esc", "rotations", "get", "esc-rotation"]);
    clean(get);
    expect(get.stdout).toMatch(/^Description\s+before\\u001b\[2J\\u001b\]52;c;b3duZWQ=\\u0007\\r\\nafter$/m);

    const coloured = await cli(["--project", "esc", "rotations", "get", "esc-rotation"], { FORCE_COLOR: "1", NO_COLOR: undefined });
    expect(coloured.code).toBe(0);
    // The only escape sequences are the CLI's own colours (SGR: ESC [ n m).
    const withoutColours = coloured.stdout.replace(/\u001b\[(?:1|2|22|31|32|33|39)m/g, "");
    expect(withoutColours).not.toMatch(CONTROL);
    expect(coloured.stdout).toMatch(/\u001b\[31mRotation Failed\u001b\[39m/);
  });
});
