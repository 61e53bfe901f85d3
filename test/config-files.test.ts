/**
 * Secret settings from files (PGROTATE_*_FILE, the convention of container secrets and systemd credentials), and
 * the list of every variable in `pgrotate serve --help` and docs/configuration.md, from the configuration's one table.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_MAX_STREAMS, DEFAULT_STREAMS_PER_IDENTITY, DEFAULT_STREAMS_PER_TOKEN } from "../runner/api/events";
import { configVariables, loadConfig } from "../runner/config";
import { startRunner, type Runner } from "../runner/runtime";
import { runCli } from "./helpers/cli";
import { apiCall } from "./helpers/http";
import { cluster, createDatabase } from "./helpers/pg";
import { startRunnerProcess } from "./helpers/process";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-config-files-"));
let seq = 0;
/** A file holding `content` (mode 0600 unless told), in this test's folder. */
const secretFile = (content: string, mode = 0o600): string => {
  const file = path.join(work, `secret-${++seq}`);
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode); // the umask may have narrowed it
  return file;
};
const key = () => crypto.randomBytes(32).toString("base64");
const token = () => "file-admin-token-" + crypto.randomBytes(16).toString("hex");
const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected an error");
};

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("Secret settings from files", () => {
  test("When each secret setting names a file, then the file's content is the value, less one trailing LF or CRLF", () => {
    const [k, t, secret] = [key(), token(), "webhook-secret-" + crypto.randomBytes(8).toString("hex")];
    const url = cluster().url("some_store");
    const config = loadConfig({
      PGROTATE_ENCRYPTION_KEY_FILE: secretFile(`${k}\n`),
      PGROTATE_ADMIN_TOKEN_FILE: secretFile(`${t}\r\n`),
      PGROTATE_DATABASE_URL_FILE: secretFile(url),
      PGROTATE_WEBHOOK_URL: "https://hooks.example.com/pgrotate",
      PGROTATE_WEBHOOK_SECRET_FILE: secretFile(`${secret}\n`),
    });
    expect(config.encryptionKeys?.map((key) => key.toString("base64"))).toEqual([k]);
    expect(config.adminToken).toBe(t);
    expect(config.databaseUrl).toBe(url);
    expect(config.webhook).toEqual({ url: "https://hooks.example.com/pgrotate", secret });
    expect(config.warnings).toEqual([]);
    // Only one newline goes: a second one is part of the value (here it makes the token one character longer).
    expect(loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: secretFile(`${t}\n\n`) }).adminToken).toBe(`${t}\n`);
  });

  test("When a variable and its _FILE are both set, then loading fails naming both, without either value", () => {
    const t = token();
    const message = failure(() => loadConfig({ PGROTATE_ADMIN_TOKEN: t, PGROTATE_ADMIN_TOKEN_FILE: secretFile(t) }));
    expect(message).toMatch(/PGROTATE_ADMIN_TOKEN and PGROTATE_ADMIN_TOKEN_FILE are both set; set only one/);
    expect(message).not.toContain(t);
  });

  test("When a file is missing, not a file, or empty, then loading fails naming the variable and the path", () => {
    const missing = path.join(work, "no-such-file");
    expect(failure(() => loadConfig({ PGROTATE_ENCRYPTION_KEY_FILE: missing }))).toBe(
      `Invalid configuration: PGROTATE_ENCRYPTION_KEY_FILE: cannot read ${missing} (ENOENT)`,
    );
    expect(failure(() => loadConfig({ PGROTATE_DATABASE_URL_FILE: work }))).toContain(`PGROTATE_DATABASE_URL_FILE: ${work} is not a regular file`);
    const empty = secretFile("");
    expect(failure(() => loadConfig({ PGROTATE_WEBHOOK_SECRET_FILE: empty }))).toContain(`PGROTATE_WEBHOOK_SECRET_FILE: ${empty} is empty`);
    // Every problem at once, with the plain variables' own.
    const all = failure(() => loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: missing, PGROTATE_PORT: "99999" }));
    expect(all).toMatch(/PGROTATE_ADMIN_TOKEN_FILE: cannot read .*; PGROTATE_PORT /);
  });

  test("When a value read from a file is invalid, then the error names the variable and its file, never the value", () => {
    const short = "short-secret-in-a-file";
    const message = failure(() => loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: secretFile(`${short}\n`) }));
    expect(message).toBe("Invalid configuration: PGROTATE_ADMIN_TOKEN (read from PGROTATE_ADMIN_TOKEN_FILE) must be at least 24 characters");
    const badKey = crypto.randomBytes(16).toString("base64");
    const keyMessage = failure(() => loadConfig({ PGROTATE_ENCRYPTION_KEY_FILE: secretFile(badKey) }));
    expect(keyMessage).toMatch(/PGROTATE_ENCRYPTION_KEY \(read from PGROTATE_ENCRYPTION_KEY_FILE\) must be base64 of exactly 32 bytes/);
    expect(keyMessage).not.toContain(badKey);
    const url = "mysql://user:hunter2-in-a-url@db/x";
    const urlMessage = failure(() => loadConfig({ PGROTATE_DATABASE_URL_FILE: secretFile(url), PGROTATE_ENCRYPTION_KEY: key() }));
    expect(urlMessage).toMatch(/PGROTATE_DATABASE_URL \(read from PGROTATE_DATABASE_URL_FILE\) must be a postgres:\/\//);
    expect(urlMessage).not.toContain("hunter2");
    // The cross-field rules name both ways of giving the setting.
    expect(failure(() => loadConfig({ PGROTATE_DATABASE_URL_FILE: secretFile(cluster().url("x")) }))).toMatch(
      /PGROTATE_ENCRYPTION_KEY \(or PGROTATE_ENCRYPTION_KEYS, or their _FILE forms\) is required with an external store/,
    );
  });

  test("When a secret file others may read, or its group unless root owns it, then loading warns naming the variable, path and mode", () => {
    const t = token();
    const world = secretFile(t, 0o644);
    expect(loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: world }).warnings).toEqual([
      `PGROTATE_ADMIN_TOKEN_FILE: ${world} is readable by every user (mode 0644); make it readable by the runner's user only (chmod 600), or by a group only when root owns it (chmod 640)`,
    ]);
    expect(loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: secretFile(t, 0o400) }).warnings).toEqual([]);
    const group = secretFile(t, 0o640);
    if (process.getuid?.() === 0) {
      // Root-owned and group-readable: how Kubernetes mounts a secret for the pod's fsGroup. Fine.
      expect(loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: group }).warnings).toEqual([]);
      fs.chownSync(group, 4242, 4242);
    }
    expect(loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: group }).warnings).toEqual([expect.stringContaining(`${group} is readable by its group (mode 0640)`)]);
    // A Kubernetes secret is a symlink: the target's mode counts.
    const link = path.join(work, "linked-token");
    fs.symlinkSync(world, link);
    expect(loadConfig({ PGROTATE_ADMIN_TOKEN_FILE: link }).warnings).toEqual([expect.stringContaining("mode 0644")]);
  });
});

describe("A runner started with its key, token and store URL from files", () => {
  let store: Awaited<ReturnType<typeof createDatabase>>;
  let runner: Runner | undefined;
  const logs: string[] = [];
  const logDestination = { write: (line: string) => void logs.push(line) };
  const values = { key: key(), token: token(), webhookSecret: "file-webhook-secret-" + crypto.randomBytes(8).toString("hex") };

  beforeAll(async () => {
    store = await createDatabase(cluster(), "config_files_store");
  });
  afterAll(async () => {
    await runner?.stop();
    await store?.drop();
  });

  test("When started from files, then it serves with that token, a warning names the readable file, and no value shows in any log line or error", async () => {
    const env = {
      PGROTATE_DATA_DIR: path.join(work, "runner-a"),
      PGROTATE_PORT: "0",
      PGROTATE_LOG_LEVEL: "debug",
      PGROTATE_ENCRYPTION_KEY_FILE: secretFile(`${values.key}\n`),
      PGROTATE_ADMIN_TOKEN_FILE: secretFile(`${values.token}\n`, 0o644),
      PGROTATE_DATABASE_URL_FILE: secretFile(`${store.url}\n`),
      PGROTATE_WEBHOOK_URL: "http://127.0.0.1:9/unreachable",
      PGROTATE_WEBHOOK_SECRET_FILE: secretFile(values.webhookSecret),
    };
    runner = await startRunner(loadConfig(env), { logDestination });
    expect((await fetch(`${runner.url}/readyz`)).status).toBe(200);
    const c = cluster();
    const created = await apiCall(runner.url, "POST", "/api/v1/app-connections/postgres", {
      name: "from-files",
      method: "username-and-password",
      credentials: { host: c.host, port: c.port, database: "postgres", username: c.user, password: c.password },
    }, { token: values.token });
    expect(created.status).toBe(200);
    expect((await apiCall(runner.url, "GET", "/api/v1/app-connections/postgres", undefined, { token: "wrong-" + values.token })).status).toBe(401);
    // The scrubber knows every value read from a file: a line that slipped one in would show [REDACTED].
    const storePassword = decodeURIComponent(new URL(store.url).password);
    for (const secret of [values.key, values.token, values.webhookSecret, storePassword, store.url]) {
      runner.logger.info(`a careless line with ${secret} in it`);
    }
    await runner.stop();
    runner = undefined;

    const warnings = logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toContainEqual(expect.stringMatching(/^PGROTATE_ADMIN_TOKEN_FILE: .* is readable by every user \(mode 0644\)/));

    // The same values as plain variables open the same store: the key from the file is the key the store was sealed with.
    runner = await startRunner(
      loadConfig({ PGROTATE_DATA_DIR: path.join(work, "runner-b"), PGROTATE_PORT: "0", PGROTATE_LOG_LEVEL: "debug", PGROTATE_ENCRYPTION_KEY: values.key, PGROTATE_ADMIN_TOKEN: values.token, PGROTATE_DATABASE_URL: store.url }),
      { logDestination },
    );
    const list = await apiCall(runner.url, "GET", "/api/v1/app-connections/postgres", undefined, { token: values.token });
    expect(list.body.appConnections.map((x: { name: string }) => x.name)).toEqual(["from-files"]);
    await runner.stop();
    runner = undefined;

    // Another key from a file: refused with a message that names the setting, not the value.
    const otherKey = key();
    const refused = await startRunner(loadConfig({ ...env, PGROTATE_ENCRYPTION_KEY_FILE: secretFile(otherKey) }), { logDestination }).then(
      (r) => r.stop().then(() => "started"),
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/PGROTATE_ENCRYPTION_KEYS lacks key [0-9a-f]{8}, which still seals/);

    for (const text of [...logs, refused]) {
      for (const secret of [values.key, values.token, values.webhookSecret, otherKey, storePassword]) expect(text).not.toContain(secret);
    }
    expect(logs.filter((l) => l.includes("a careless line with [REDACTED] in it"))).toHaveLength(5);
  });

  test("When pgrotate serve gets both a variable and its _FILE, then it exits 1 naming both and echoes neither", async () => {
    const t = token();
    const err = await startRunnerProcess({ PGROTATE_DATA_DIR: path.join(work, "runner-c"), PGROTATE_PORT: "0", PGROTATE_ADMIN_TOKEN: t, PGROTATE_ADMIN_TOKEN_FILE: secretFile(t) }).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(err).toMatch(/exited with 1/);
    expect(err).toMatch(/PGROTATE_ADMIN_TOKEN and PGROTATE_ADMIN_TOKEN_FILE are both set/);
    expect(err).not.toContain(t);
  });
});

describe("Every variable is documented", () => {
  const names = configVariables().map((v) => v.name);

  test("When pgrotate serve --help runs, then it lists every variable the configuration reads, with its meaning and default", async () => {
    const help = await runCli(["serve", "--help"]);
    expect(help.code).toBe(0);
    for (const v of configVariables()) {
      expect(help.stdout).toMatch(new RegExp(`^  ${v.name} +${v.meaning.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(default: `, "m"));
    }
    expect(help.stdout).toMatch(/^ {2}PGROTATE_ENCRYPTION_KEY_FILE +a file holding PGROTATE_ENCRYPTION_KEY/m);
    expect(help.stdout).toMatch(/^ {2}PGROTATE_PORT +.*\(default: 8080\)$/m);
  });

  test("When the configuration table of docs/configuration.md is read, then it has a row for every variable the configuration reads, and no other", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "configuration.md"), "utf8");
    const start = doc.indexOf("\n## Variables\n");
    expect(start).toBeGreaterThan(-1);
    const end = doc.indexOf("\n## ", start + 3);
    const section = doc.slice(start, end === -1 ? undefined : end);
    const rows = [...section.matchAll(/^\| `(PGROTATE_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...rows].sort()).toEqual([...names].sort());
  });

  test("When a default lives outside the schema, then the table says the value the code uses", () => {
    const defaults = Object.fromEntries(configVariables().map((v) => [v.name, v.default]));
    expect(defaults.PGROTATE_FEED_MAX_STREAMS_PER_TOKEN).toBe(String(DEFAULT_STREAMS_PER_TOKEN));
    expect(defaults.PGROTATE_FEED_MAX_STREAMS_PER_IDENTITY).toBe(String(DEFAULT_STREAMS_PER_IDENTITY));
    expect(defaults.PGROTATE_FEED_MAX_STREAMS).toBe(String(DEFAULT_MAX_STREAMS));
  });
});
