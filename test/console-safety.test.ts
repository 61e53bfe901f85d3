/**
 * The web console in a real Chromium: who may do what and what the browser is never trusted with. A read token
 * sees no mutating control (and the API refuses anyway), a machine identity signs in, a page on another origin
 * cannot use the session cookie, stored HTML stays text, the CSP holds, the session expires and recovers without
 * losing what was typed, an unreachable runner is said so, the list refreshes itself and pages 1,000s of rows,
 * and IaC-managed objects warn before an edit.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Page } from "playwright-core";
import { type ConsoleBrowser, launchBrowser, type PageProblems, signInWithToken, unexpected as problemsOf } from "./helpers/browser";
import { insertRotations } from "./helpers/bulk-rotations";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const XSS = `<img src=x onerror=alert(1)> <script>alert(2)</script>`;
const MINUTE = 60_000;

const unexpected = (p: PageProblems) => problemsOf(p, [401, 403, 404], /Failed to load resource: net::ERR_CONNECTION_REFUSED/);

describe("Web console in a real browser: permissions, CSRF, XSS, CSP, session expiry, live refresh", () => {
  let t: TestRunner;
  let target: Target;
  let b: ConsoleBrowser;
  let skew = 0;
  let shop: { id: string; name: string };
  const contexts: Array<{ context: BrowserContext; page: Page; problems: PageProblems }> = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "csafe" });
    t = await startTestRunner({ clock: () => new Date(Date.now() + skew), logLevel: "info" });
    const connectionId = (await t.api("POST", CONNECTIONS, target.connectionBody("shop-db"), { headers: { "x-pgrotate-managed-by": "pulumi" } })).body.appConnection.id;
    shop = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "shop-db-credentials", projectId: "shop", environment: "prod", secretPath: "/db", description: XSS }), { headers: { "x-pgrotate-managed-by": "terraform" } })).body.secretRotation;
    await insertRotations(t.runner.pool, t.runner.sealer, { connectionId, from: 0, to: 1_000, project: "many" });
    b = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await target?.drop();
  });
  afterEach(async () => {
    skew = 0;
    for (const c of contexts.splice(0)) {
      expect(unexpected(c.problems)).toEqual([]);
      await c.context.close();
    }
  });

  async function open(size: "desktop" | "mobile" = "desktop") {
    const opened = await b.open(size);
    opened.page.setDefaultTimeout(15_000);
    contexts.push(opened);
    return opened;
  }

  test("A stored <img onerror> / <script> description shows as those characters and runs nothing; the CSP forbids eval", async () => {
    const { page, problems } = await open();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=shop");
    await page.getByText(XSS, { exact: true }).waitFor();
    await page.getByRole("link", { name: "shop-db-credentials" }).click();
    await page.getByText(XSS, { exact: true }).waitFor();
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    await expect(page.locator("body script").count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    // The CSP refuses script that did not come from the runner's files: an inline script and a string to eval.
    await page.evaluate(() => {
      const inline = document.createElement("script");
      inline.textContent = "window.__inlineRan = true";
      document.body.append(inline);
      setTimeout("window.__evalRan = true", 0); // eslint-disable-line @typescript-eslint/no-implied-eval
    });
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => [Reflect.get(window, "__inlineRan"), Reflect.get(window, "__evalRan")])).toEqual([undefined, undefined]);
    const refusals = problems.errors.filter((e) => /Content Security Policy|Refused to/.test(e));
    expect(refusals).toEqual([expect.stringMatching(/inline script/), expect.stringMatching(/unsafe-eval/)]);
    problems.errors.length = 0;
  });

  test("Managed by Terraform or Pulumi: marked in the lists, and Edit warns that the next apply puts the declared values back", async () => {
    const { page } = await open();
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=shop");
    const row = page.getByRole("row").filter({ hasText: "shop-db-credentials" });
    await row.getByText("Managed by Terraform").waitFor();
    await row.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("dialog", { name: "Edit Secret Rotation" }).getByRole("note").filter({ hasText: "the next terraform apply will put the declared values back" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page.getByRole("link", { name: "App Connections" }).click();
    const conn = page.getByRole("row").filter({ hasText: "shop-db" });
    await conn.getByText("Managed by Pulumi").waitFor();
    await conn.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("dialog", { name: "Edit Connection" }).getByText(/the next pulumi up will\s+put the declared values back/).waitFor();
  });

  test("When a project has 1,000 rotations, then its first page shows 50 rows from one list request, and the next page and a search by name show theirs", async () => {
    const { page } = await open();
    let listRequests = 0;
    page.on("response", (r) => {
      if (r.url().includes(`${ROTATIONS}?projectId=many`) && r.status() === 200) listRequests++;
    });
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=many");
    await page.getByText("Showing 1–50 of 1,000 rotations").waitFor();
    await expect(page.getByRole("row").count()).resolves.toBe(51);
    expect(listRequests).toBe(1);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Showing 51–100 of 1,000 rotations").waitFor();
    await page.getByLabel("Search by name").fill("many-99");
    await page.getByText("Showing 1–11 of 11 rotations").waitFor(); // many-99 and many-990 … many-999
    await b.screenshot(page, "rotations-1000", "desktop");
  });

  test("A scheduled rotation shows up in the open list without a reload", async () => {
    const { page } = await open();
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=shop");
    const row = page.getByRole("row").filter({ hasText: "shop-db-credentials" });
    await row.getByText(target.users[0], { exact: true }).waitFor();
    await t.runner.pool.query("UPDATE rotations SET next_rotation_at = now() WHERE id = $1", [shop.id]);
    await row.getByText(target.users[1], { exact: true }).waitFor({ timeout: 20_000 });
    const history = (await t.api("GET", `${ROTATIONS}/${shop.id}/history`)).body.history;
    expect(history[0]).toMatchObject({ trigger: "scheduled", result: "success" });
  });

  test("A read token sees a read-only console (no create, rotate, edit or delete controls) and the API answers 403 if called anyway", async () => {
    const token = (await t.api("POST", "/api/v1/auth/tokens", { name: "shop-viewer", projectId: "shop", permission: "read" })).body;
    const { page } = await open("mobile");
    await signInWithToken(page, t.runner.url, token.secret);
    await page.getByText("read-only").first().waitFor();
    await page.getByRole("link", { name: "shop-db-credentials" }).waitFor(); // its scope's project is chosen
    for (const name of ["Add Secret Rotation", "Rotate Secrets", "View Generated Credentials", "Edit", "Delete"]) {
      await expect(page.getByRole("button", { name }).count()).resolves.toBe(0);
    }
    await b.screenshot(page, "read-only", "mobile");
    await page.getByRole("link", { name: "shop-db-credentials" }).click();
    await page.getByRole("heading", { name: "History" }).waitFor();
    await expect(page.getByRole("button", { name: "Rotate Secrets" }).count()).resolves.toBe(0);
    const status = await page.evaluate(async (url) => (await fetch(url, { method: "POST", credentials: "same-origin" })).status, `${ROTATIONS}/${shop.id}/rotate-secrets`);
    expect(status).toBe(403);
    await page.getByRole("link", { name: "App Connections" }).click();
    await page.getByText("You see the connections granted to your scope").waitFor();
    await expect(page.getByRole("button", { name: "Add Connection" }).count()).resolves.toBe(0);
  });

  test("A machine identity signs in on its tab with its Client ID and Client Secret", async () => {
    const identity = (await t.api("POST", "/api/v1/auth/identities", { name: "shop-ops", projectId: "shop", permission: "manage" })).body;
    const { page } = await open();
    await page.goto(t.runner.url + "/");
    await page.getByRole("tab", { name: "Token" }).focus();
    await page.keyboard.press("ArrowRight");
    await expect(page.getByRole("tab", { name: "Machine Identity" }).getAttribute("aria-selected")).resolves.toBe("true");
    await page.getByLabel("Client ID").fill(identity.clientId);
    await page.getByLabel("Client Secret").fill("pgr_cs_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Invalid client id or client secret" }).waitFor();
    await page.getByLabel("Client Secret").fill(identity.clientSecret);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(`identity:${identity.identity.id}`).waitFor();
    await page.getByRole("button", { name: "Rotate Secrets" }).first().waitFor(); // manage in its scope
    const audit = (await t.api("GET", "/api/v1/audit-logs?action=console.sign-in")).body.auditLogs;
    expect(audit.filter((a: { status: number }) => a.status === 401).length).toBeGreaterThan(0);
    expect(audit.some((a: { actor: string; status: number }) => a.actor === `identity:${identity.identity.id}` && a.status === 200)).toBe(true);
  });

  test("A page on another origin cannot use the session cookie to change anything (403), though the browser sends it", async () => {
    const before = (await t.api("GET", `${ROTATIONS}/${shop.id}`)).body.secretRotation.lastRotatedAt;
    const rotate = `${t.runner.url}${ROTATIONS}/${shop.id}/rotate-secrets?force=true`;
    const evil: Server = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<!doctype html><form id="f" method="post" action="${rotate}"></form>
        <script>fetch(${JSON.stringify(rotate)}, { method: "POST", mode: "no-cors", credentials: "include" })
          .finally(() => document.getElementById("f").submit());</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    try {
      const { page, problems } = await open();
      await signInWithToken(page, t.runner.url, t.runner.adminToken);
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await page.waitForURL(rotate);
      await page.getByText("Cross-origin request refused").waitFor();
      problems.errors.length = 0; // the other page's own complaints (its fetch could not read the answer)
    } finally {
      await new Promise((r) => evil.close(r));
    }
    expect((await t.api("GET", `${ROTATIONS}/${shop.id}`)).body.secretRotation.lastRotatedAt).toBe(before);
    const refused = (await t.api("GET", "/api/v1/audit-logs?actor=admin&limit=50")).body.auditLogs.filter((a: { status: number; action: string }) => a.status === 403 && a.action.includes("rotate-secrets"));
    // The fetch and the form both carried the cookie (actor admin) and were both refused (identical rows are counted in one).
    expect(refused.reduce((n: number, a: { details: { count?: number } | null }) => n + (a.details?.count ?? 1), 0)).toBe(2);
  });

  test("The session expires after an idle hour: the console says so over the page, keeps what was typed, and signs in again", async () => {
    const { page } = await open();
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=shop");
    await page.getByRole("button", { name: "Add Secret Rotation" }).click();
    const wizard = page.getByRole("dialog", { name: "Add Secret Rotation" });
    await wizard.getByRole("button", { name: /PostgreSQL Credentials/ }).click();
    await wizard.getByLabel("Rotation Interval").fill("12");
    let refused = 0;
    page.on("response", (r) => {
      if (r.status() === 401) refused++;
    });
    skew = 61 * MINUTE;
    const expired = page.getByRole("dialog", { name: "Session expired" });
    await expired.waitFor({ timeout: 20_000 }); // the next refresh of the list meets the 401
    await b.screenshot(page, "session-expired", "desktop");
    // While it waits for a sign-in the page stops refreshing: more 401s would only count toward the 429 limit.
    const seen = refused;
    await page.waitForTimeout(6_000);
    expect(refused - seen).toBeLessThanOrEqual(1);
    await expired.getByLabel("Token", { exact: true }).fill(t.runner.adminToken);
    await expired.getByRole("button", { name: "Sign in" }).click();
    await expired.waitFor({ state: "detached" });
    await expect(wizard.getByLabel("Rotation Interval").inputValue()).resolves.toBe("12");
  });

  test("An unreachable runner is said so, and the console recovers by itself; Sign out ends the session", async () => {
    const { page, context } = await open();
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/status");
    await page.route("**/readyz", (r) => r.abort("connectionrefused"));
    await page.route("**/api/**", (r) => r.abort("connectionrefused"));
    const banner = page.getByRole("alert").filter({ hasText: "Cannot reach the pgrotate runner" });
    await banner.first().waitFor({ timeout: 20_000 });
    await page.unrouteAll();
    await banner.first().waitFor({ state: "detached", timeout: 20_000 });
    await page.getByText("Ready").first().waitFor();
    const cookie = (await context.cookies())[0];
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You have signed out.").waitFor();
    expect(await context.cookies()).toEqual([]);
    const reused = await fetch(`${t.runner.url}/api/v1/console/session`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect(reused.status).toBe(401);
  });
});
