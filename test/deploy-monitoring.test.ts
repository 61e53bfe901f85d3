/**
 * deploy/prometheus (alert rules and their promtool unit tests) and deploy/grafana (the dashboard): the rules pass
 * promtool, the dashboard's queries parse, and every pgrotate metric and label they name is one a real runner serves.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { cluster } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";
import { findTool, runTool, testWithTool } from "./helpers/tools";

const DEPLOY = path.join(__dirname, "..", "deploy");
const RULES_FILE = path.join(DEPLOY, "prometheus", "pgrotate-rules.yml");
const RULE_TESTS_FILE = path.join(DEPLOY, "prometheus", "pgrotate-rules.test.yml");
const DASHBOARD = JSON.parse(fs.readFileSync(path.join(DEPLOY, "grafana", "pgrotate.json"), "utf8"));
const withPromtool = testWithTool("promtool", "Debian: apt-get install prometheus; not in CI");

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const RULES: AlertRule[] = (parse(fs.readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap((g) => g.rules);

interface Panel {
  type: string;
  title: string;
  id: number;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: Array<{ expr: string; refId: string }>;
}
const PANELS: Panel[] = DASHBOARD.panels;
const DASHBOARD_EXPRS = PANELS.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** A dashboard query as PromQL: Grafana's variables replaced by what they stand for. */
const asPromQL = (expr: string) => expr.replace(/\$__rate_interval/g, "5m").replace(/\$(job|instance)/g, ".*");

/** Every pgrotate metric a query names, with the labels its selectors and groupings use. */
function metricsIn(expr: string): Array<{ metric: string; labels: string[] }> {
  const out: Array<{ metric: string; labels: string[] }> = [];
  const grouping = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(",").map((s) => s.trim()).filter(Boolean));
  for (const m of expr.matchAll(/\b(pgrotate_[a-z0-9_]+)(\{[^}]*\})?/g)) {
    const matchers = m[2] ? [...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]) : [];
    out.push({ metric: m[1], labels: [...matchers, ...grouping] });
  }
  return out;
}

/** Served only by a runner with native TLS (this one is plain HTTP); test/https-runner.test.ts reads it from one that serves HTTPS. */
const ONLY_WITH_TLS = new Set(["pgrotate_tls_certificate_expiry_timestamp_seconds"]);

/** Labels Prometheus adds to every scraped series (target labels), not the runner's. */
const TARGET_LABELS = new Set(["job", "instance", "pod", "namespace", "container", "endpoint", "service"]);

describe("The alert rules", () => {
  test("When the rules are read, then each alert has a severity, a summary and a description", () => {
    expect(RULES.map((r) => r.alert).sort()).toEqual(
      [
        "PgrotateAllRunnersDown", "PgrotateIntentStuck", "PgrotateRotationAttemptsFailing", "PgrotateRotationDrifted", "PgrotateRotationFailed", "PgrotateRotationHeld", "PgrotateRotationsOverdue",
        "PgrotateRunnerDown", "PgrotateSchedulerLagging", "PgrotateStoreListenerDown", "PgrotateStoreUnreachable", "PgrotateTlsCertificateExpiring",
      ].sort(),
    );
    for (const r of RULES) {
      expect({ alert: r.alert, severity: r.labels.severity }).toEqual({ alert: r.alert, severity: expect.stringMatching(/^(warning|critical)$/) });
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(40);
    }
  });

  withPromtool("When promtool checks the rules, then they are valid", () => {
    const r = runTool(findTool("promtool")!, ["check", "rules", RULES_FILE]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining(`SUCCESS: ${RULES.length} rules found`) });
  });

  withPromtool("When promtool runs the rules' unit tests, then every alert fires and stays quiet exactly as pgrotate-rules.test.yml says", () => {
    const r = runTool(findTool("promtool")!, ["test", "rules", RULE_TESTS_FILE]);
    expect({ code: r.code, out: (r.stdout + r.stderr).trim() }).toEqual({ code: 0, out: expect.stringMatching(/SUCCESS$/) });
    // Each alert is tested firing at least once.
    const tested = parse(fs.readFileSync(RULE_TESTS_FILE, "utf8")).tests.flatMap((t: any) => t.alert_rule_test.filter((a: any) => a.exp_alerts.length).map((a: any) => a.alertname));
    expect([...new Set(tested)].sort()).toEqual(RULES.map((x) => x.alert).sort());
  });

  withPromtool("When an expectation of the unit tests is wrong, then promtool test rules fails (the test above can fail)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-promtool-"));
    try {
      const wrong = fs.readFileSync(RULE_TESTS_FILE, "utf8")
        .replace(/^ {2}- pgrotate-rules\.yml$/m, `  - ${RULES_FILE}`)
        .replace("summary: 2 pgrotate rotation(s) failed", "summary: 3 pgrotate rotation(s) failed");
      fs.writeFileSync(path.join(dir, "wrong.test.yml"), wrong);
      const r = runTool(findTool("promtool")!, ["test", "rules", path.join(dir, "wrong.test.yml")]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/FAILED:[\s\S]*PgrotateRotationFailed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("The Grafana dashboard", () => {
  test("When the dashboard is read, then its panels have unique ids, fit the 24-column grid, query through the data source variable, and show each signal", () => {
    expect(DASHBOARD).toMatchObject({ uid: "pgrotate", title: "pgrotate", schemaVersion: expect.any(Number) });
    expect(DASHBOARD.templating.list.map((v: { name: string }) => v.name)).toEqual(["datasource", "job", "instance"]);
    const ids = PANELS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of PANELS) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type === "row") continue;
      expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: "${datasource}" });
      const refs = p.targets!.map((t) => t.refId);
      expect(new Set(refs).size).toBe(refs.length);
    }
    const shown = new Set(DASHBOARD_EXPRS.flatMap((e) => metricsIn(e.expr).map((m) => m.metric)));
    for (const metric of [
      "pgrotate_rotations_total",
      "pgrotate_rotation_duration_seconds_bucket",
      "pgrotate_rotations_overdue",
      "pgrotate_rotations_failing",
      "pgrotate_rotation_intents_pending",
      "pgrotate_scheduler_tick_lag_seconds",
      "pgrotate_secret_reads_total",
      "pgrotate_secret_read_duration_seconds_bucket",
      "pgrotate_rotation_start_delay_seconds_bucket",
      "pgrotate_store_listener_up",
    ]) {
      expect({ metric, shown: shown.has(metric) }).toEqual({ metric, shown: true });
    }
  });

  withPromtool("When the dashboard's queries are given to promtool as recording rules, then every one parses as PromQL", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-dashboard-"));
    try {
      const rules = DASHBOARD_EXPRS.map((e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(asPromQL(e.expr))}`);
      fs.writeFileSync(path.join(dir, "dashboard.rules.yml"), `groups:\n  - name: dashboard\n    rules:\n${rules.join("\n")}\n`);
      const r = runTool(findTool("promtool")!, ["check", "rules", path.join(dir, "dashboard.rules.yml")]);
      expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining(`SUCCESS: ${DASHBOARD_EXPRS.length} rules found`) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("The metrics the rules and the dashboard name, on a real runner", () => {
  let proxy: TcpProxy;
  let target: Target;
  let t: TestRunner;
  /** Each metric a scrape shows (histograms as their _bucket, _sum and _count series), with the labels of its samples. */
  const scrape = async () => {
    const text = await (await fetch(`${t.runner.url}/metrics`)).text();
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    const exported = new Map<string, Set<string>>();
    for (const [name, type] of types) {
      for (const series of type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]) exported.set(series, new Set());
    }
    for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/gm)) {
      for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) exported.get(m[1])?.add(l[1]);
    }
    return { text, exported };
  };

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: "127.0.0.1", port: cluster().port });
    t = await startTestRunner({ storeVia: proxy, logLevel: "silent" });
    target = await createTarget({ prefix: "metrics" });
    // A rotation and a secret read, so that the labelled series have samples.
    const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const created = await t.api("POST", "/api/v2/secret-rotations/postgres-credentials", infisicalCreateBody(conn, target.users));
    expect(created.status).toBe(200);
    expect((await t.api("POST", `/api/v2/secret-rotations/postgres-credentials/${created.body.secretRotation.id}/rotate-secrets`)).status).toBe(200);
    expect((await t.api("GET", "/api/v3/secrets/raw/POSTGRES_DB_USERNAME?workspaceId=my-project&environment=dev&secretPath=/")).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
    await proxy?.close();
  });

  test("When the runner is scraped, then every pgrotate metric the rules and the dashboard name is one it serves, with the labels they use", async () => {
    const { exported } = await scrape();
    const named = [
      ...RULES.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
      ...DASHBOARD_EXPRS.map((e) => ({ where: `panel ${e.panel}`, expr: e.expr })),
    ].flatMap((q) => metricsIn(q.expr).map((m) => ({ ...m, where: q.where })));
    expect(named.length).toBeGreaterThanOrEqual(30);
    for (const n of named) {
      if (ONLY_WITH_TLS.has(n.metric)) continue;
      expect({ where: n.where, metric: n.metric, served: exported.has(n.metric) }).toEqual({ where: n.where, metric: n.metric, served: true });
      const unknown = n.labels.filter((l) => !TARGET_LABELS.has(l) && !exported.get(n.metric)!.has(l));
      expect({ where: n.where, metric: n.metric, unknown }).toEqual({ where: n.where, metric: n.metric, unknown: [] });
    }
  });

  test("When the store stops answering, then the store-wide gauges are NaN and /readyz is 503 (the store-unreachable alert's signal)", async () => {
    const before = await scrape();
    expect(before.text).toMatch(/^pgrotate_rotations_failing 0$/m);
    await proxy.close();
    await new Promise((r) => setTimeout(r, 300)); // past the gauges' 250 ms memo of the last count
    const after = await scrape();
    // prom-client writes "Nan"; Prometheus parses the value with Go's ParseFloat, which reads any case of NaN.
    for (const gauge of ["pgrotate_rotations_failing", "pgrotate_rotations_overdue", "pgrotate_rotation_intents_pending", "pgrotate_rotations_drifted"]) {
      expect(after.text).toMatch(new RegExp(`^${gauge} nan$`, "im"));
    }
    expect((await fetch(`${t.runner.url}/readyz`)).status).toBe(503);
  });
});
