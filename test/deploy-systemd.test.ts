/**
 * deploy/systemd/pgrotate.service: systemd accepts it as written, it keeps its sandbox, and every setting it gives
 * the runner is one the runner reads, with each secret a credential read through its _FILE variable.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { configVariables } from "../runner/config";
import { findTool, runTool, testWithTool } from "./helpers/tools";

const DIR = path.join(__dirname, "..", "deploy", "systemd");
const UNIT = fs.readFileSync(path.join(DIR, "pgrotate.service"), "utf8");
const ENV_FILE = fs.readFileSync(path.join(DIR, "pgrotate.env"), "utf8");
const withSystemd = testWithTool("systemd-analyze", "Debian: apt-get install systemd");

/** The unit's active lines (no comments) as [key, value] of its [Service] section. */
const service = (): Array<[string, string]> => {
  const body = UNIT.slice(UNIT.indexOf("[Service]"), UNIT.indexOf("[Install]"));
  return body
    .split("\n")
    .filter((l) => l.trim() && !/^\s*[#;]/.test(l) && !l.startsWith("["))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
};
const values = (key: string) => service().filter(([k]) => k === key).map(([, v]) => v);

/**
 * The unit as this machine can verify it: systemd checks that ExecStart's program exists, and Node is not at
 * /usr/bin/node everywhere (only that path is changed).
 */
function unitHere(dir: string, text = UNIT): string {
  const file = path.join(dir, "pgrotate.service");
  fs.writeFileSync(file, fs.existsSync("/usr/bin/node") ? text : text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  return file;
}

describe("The systemd unit", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-systemd-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  withSystemd("When systemd-analyze verifies the unit, then it passes without a single warning", () => {
    const r = runTool(findTool("systemd-analyze")!, ["verify", unitHere(work)]);
    expect({ code: r.code, stderr: r.stderr.trim(), stdout: r.stdout.trim() }).toEqual({ code: 0, stderr: "", stdout: "" });
  });

  withSystemd("When a directive is misspelt, then the same verification reports it (the check above can fail)", () => {
    const broken = path.join(work, "broken");
    fs.mkdirSync(broken);
    const r = runTool(findTool("systemd-analyze")!, ["verify", unitHere(broken, UNIT.replace("ProtectSystem=strict", "ProtectSystem=strictest"))]);
    expect(r.stderr).toMatch(/Failed to parse protect system value, ignoring: strictest/);
  });

  withSystemd("When systemd-analyze rates the unit's sandbox offline, then its exposure is at most 2 of 10", () => {
    const r = runTool(findTool("systemd-analyze")!, ["security", "--offline=true", "--threshold=20", unitHere(work)]);
    expect(r.code).toBe(0);
    const level = Number(/Overall exposure level for pgrotate\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(2);
  });

  test("When the unit is read, then it runs pgrotate serve with node as a dynamic user, sandboxed, restarted on failure within a start limit", () => {
    const one = (key: string) => values(key).join(" | ");
    expect(one("Type")).toBe("simple");
    expect(one("ExecStart")).toMatch(/^\/usr\/bin\/node \S+\/pgrotate\/dist\/runner\/cli\.js serve$/);
    expect(one("DynamicUser")).toBe("yes");
    expect(one("StateDirectory")).toBe("pgrotate");
    expect(values("Environment")).toContain("PGROTATE_DATA_DIR=%S/pgrotate");
    expect(one("Restart")).toBe("on-failure");
    expect(UNIT).toMatch(/^StartLimitBurst=\d+$/m);
    expect(UNIT).toMatch(/^StartLimitIntervalSec=\d+$/m);
    expect(Object.fromEntries(["ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges", "RestrictAddressFamilies", "CapabilityBoundingSet"].map((k) => [k, one(k)]))).toEqual({
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      NoNewPrivileges: "yes",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      CapabilityBoundingSet: "",
    });
    expect(values("SystemCallFilter")).toContain("@system-service");
  });

  test("When the unit and its environment file set variables, then each is one the runner reads, and each secret is a credential read through its _FILE", () => {
    const known = new Set(configVariables().map((v) => v.name));
    const fromUnit = values("Environment").map((v) => v.slice(0, v.indexOf("=")));
    const fromFile = ENV_FILE.split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.slice(0, l.indexOf("=")));
    for (const name of [...fromUnit, ...fromFile]) expect({ name, known: known.has(name) }).toEqual({ name, known: true });

    const credentials = new Map(values("LoadCredential").map((v) => [v.slice(0, v.indexOf(":")), v.slice(v.indexOf(":") + 1)]));
    for (const secret of ["PGROTATE_ENCRYPTION_KEY", "PGROTATE_ADMIN_TOKEN", "PGROTATE_DATABASE_URL"]) {
      const setting = values("Environment").find((v) => v.startsWith(`${secret}_FILE=`));
      expect(setting).toMatch(new RegExp(`^${secret}_FILE=%d/[a-z-]+$`));
      expect(credentials.has(setting!.slice(setting!.indexOf("%d/") + 3))).toBe(true);
    }
    // No secret in plain sight: neither as a variable of the unit nor in the environment file.
    for (const secret of ["PGROTATE_ENCRYPTION_KEY", "PGROTATE_ADMIN_TOKEN", "PGROTATE_DATABASE_URL", "PGROTATE_WEBHOOK_SECRET"]) {
      expect([...fromUnit, ...fromFile]).not.toContain(secret);
    }
  });
});
