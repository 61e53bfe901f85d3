/**
 * The web console in a real Chromium against a real runner and PostgreSQL: sign-in, the Add Secret Rotation
 * wizard by mouse and by keyboard alone, precheck failures with their SQL, Rotate Secrets with the grace guard
 * and Force, generated credentials that log in, edit, delete with revoke, connections, secrets, runner status;
 * a screenshot of each page at 1280×800 and 390×844 (test-artifacts/console, git-ignored).
 */
import type { Locator, Page } from "playwright-core";
import { type ConsoleBrowser, launchBrowser, type PageProblems, signInWithToken, unexpected } from "./helpers/browser";
import { canLogin } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

/** Console errors that are not expected answers (a 4xx the page handles is logged by Chromium as a failed load). */

describe("Web console in a real browser: the wizard and the rotation's life", () => {
  let t: TestRunner;
  let target: Target;
  let weak: Target; // its connection role has no rights: every precheck fails
  let b: ConsoleBrowser;
  let page: Page;
  let problems: PageProblems;
  let weakConnectionId: string;
  const created: Record<string, string> = {};

  beforeAll(async () => {
    [target, weak] = await Promise.all([createTarget({ prefix: "cwiz" }), createTarget({ prefix: "cweak", adminRights: "none" })]);
    t = await startTestRunner({ logLevel: "info" });
    weakConnectionId = (await t.api("POST", CONNECTIONS, weak.connectionBody("weak-db"))).body.appConnection.id;
    b = await launchBrowser();
    const opened = await b.open("desktop");
    ({ page, problems } = opened);
    page.setDefaultTimeout(10_000);
    await opened.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.runner.url });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await target?.drop();
    await weak?.drop();
  });
  beforeEach(async () => {
    // Each test starts on the list, whatever the one before left open.
    if (page.url().startsWith(t.runner.url)) await page.goto(t.runner.url + "/");
  });
  afterEach(() => {
    expect(unexpected(problems)).toEqual([]);
  });

  const wizard = () => page.getByRole("dialog", { name: "Add Secret Rotation" });
  const rowOf = (name: string): Locator => page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  const api = <T = any>(m: string, p: string, body?: unknown) => t.api<T>(m, p, body);
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  async function openWizard(): Promise<Locator> {
    await page.getByRole("button", { name: "Add Secret Rotation" }).click();
    await wizard().getByRole("button", { name: /PostgreSQL Credentials/ }).click();
    await wizard().getByRole("heading", { name: "Configuration" }).waitFor();
    return wizard();
  }

  /** Mouse: Configuration → Parameters → Mappings → Details → Review (values left at their defaults where not given). */
  async function walkWizard(w: Locator, v: { connectionId: string; users: [string, string]; name: string; secrets?: [string, string] }): Promise<void> {
    const prefix = v.name.toUpperCase().replace(/-/g, "_");
    const [secretUser, secretPassword] = v.secrets ?? [`${prefix}_USERNAME`, `${prefix}_PASSWORD`];
    await w.getByLabel("PostgreSQL Connection").selectOption(v.connectionId);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Database Username 1").fill(v.users[0]);
    await w.getByLabel("Database Username 2").fill(v.users[1]);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Mappings" }).waitFor();
    await w.getByLabel("Username").fill(secretUser);
    await w.getByLabel("Password").fill(secretPassword);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Name", { exact: true }).fill(v.name);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Review" }).waitFor();
  }

  test("Sign-in: a bad token is refused in words; the admin token signs in; the browser keeps no token", async () => {
    await page.goto(t.runner.url + "/");
    await b.screenshot(page, "sign-in", "mobile");
    await b.screenshot(page, "sign-in", "desktop");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Token is required").waitFor();
    await page.getByLabel("Token", { exact: true }).fill("pgr_tok_wrong-token-value");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Invalid, expired or revoked token" }).waitFor();
    await signInWithToken(page, t.runner.url, t.runner.adminToken);
    await page.getByRole("heading", { name: "Secret Rotations" }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: "pgrotate_session", httpOnly: true, sameSite: "Strict", path: "/" })]);
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, href: location.href }));
    expect(stored).toEqual({ local: 0, session: 0, cookie: "", href: `${t.runner.url}/` });
    expect(await page.content()).not.toContain(t.runner.adminToken);
  });

  test("By mouse: a connection added inline, every step (Next validates only its step, Back keeps values), then the rotation is listed and its credentials log in", async () => {
    const w = await openWizard();
    await b.screenshot(page, "wizard-configuration", "mobile");
    await b.screenshot(page, "wizard-configuration", "desktop");
    // Next validates the current step only: no connection yet.
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText("Select a PostgreSQL connection (or add one)").waitFor();
    // Its first option opens the connection form inline.
    await w.getByLabel("PostgreSQL Connection").selectOption({ label: "+ Add Connection" });
    const inline = w.getByRole("group", { name: "Add Connection" });
    const body = target.connectionBody("orders-db").credentials as Record<string, string | number>;
    await inline.getByLabel("Name", { exact: true }).fill("orders-db");
    await inline.getByLabel("Host").fill(String(body.host));
    await inline.getByLabel("Port").fill(String(body.port));
    await inline.getByLabel("Database Name").fill(String(body.database));
    await inline.getByLabel("Username").fill(String(body.username));
    await inline.getByLabel("Password").fill("not-the-password");
    await inline.getByRole("button", { name: "Connect to Database" }).click();
    await inline.getByRole("alert").filter({ hasText: /rejected the login of/ }).waitFor();
    await inline.getByLabel("Password").fill(String(body.password));
    await inline.getByRole("button", { name: "Connect to Database" }).click();
    await inline.waitFor({ state: "detached" });
    const connection = (await api("GET", CONNECTIONS)).body.appConnections.find((c: { name: string }) => c.name === "orders-db");
    created.connection = connection.id;
    await expect(w.getByLabel("PostgreSQL Connection").inputValue()).resolves.toBe(connection.id);
    await w.getByLabel("Rotate At").fill("03:30");
    await expect(w.getByLabel("Time Zone").inputValue()).resolves.toBe("Europe/Berlin"); // the browser's zone
    await w.getByRole("button", { name: "Next" }).click();

    await w.getByRole("heading", { name: "Parameters" }).waitFor();
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText("Database Username 1 must not be empty").waitFor();
    await w.getByLabel("Database Username 1").fill(target.users[0]);
    await w.getByLabel("Database Username 2").fill(target.users[0]);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText("username1 and username2 must differ").waitFor();
    await w.getByLabel("Database Username 2").fill(target.users[1]);
    await w.getByRole("button", { name: "Next" }).click();

    await w.getByRole("heading", { name: "Mappings" }).waitFor();
    await expect(w.getByLabel("Username").inputValue()).resolves.toBe("POSTGRES_DB_USERNAME");
    await expect(w.getByLabel("Password").inputValue()).resolves.toBe("POSTGRES_DB_PASSWORD");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Name", { exact: true }).fill("Orders DB");
    await w.getByLabel("Description").fill("The orders service's database users");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText(/Name must be a slug/).waitFor();
    await w.getByLabel("Name", { exact: true }).fill("orders-db-credentials");
    await w.getByRole("button", { name: "Next" }).click();

    await w.getByRole("heading", { name: "Review" }).waitFor();
    await b.screenshot(page, "wizard-review", "desktop");
    await b.screenshot(page, "wizard-review", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const text of ["orders-db", "03:30 (Europe/Berlin)", "30 days", "Enabled", target.users[0], target.users[1], "POSTGRES_DB_PASSWORD", "orders-db-credentials"]) {
      await w.getByText(text, { exact: true }).first().waitFor();
    }
    // Back keeps what was typed.
    await w.getByRole("button", { name: "Back" }).click();
    await w.getByRole("button", { name: "Back" }).click();
    await w.getByRole("button", { name: "Back" }).click();
    await expect(w.getByLabel("Database Username 2").inputValue()).resolves.toBe(target.users[1]);
    for (let i = 0; i < 3; i++) await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    await wizard().waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: "Created secret rotation orders-db-credentials" }).waitFor();

    const row = rowOf("orders-db-credentials");
    await row.getByText(/Rotates in 3[01] days/).waitFor(); // 30 days and some hours, rounded
    await row.getByText(target.users[0], { exact: true }).waitFor();
    await row.getByText("The orders service's database users").waitFor();
    const rotation = (await api("GET", `${ROTATIONS}/rotation-name/orders-db-credentials?projectId=default&environment=dev&secretPath=/`)).body.secretRotation;
    created.rotation = rotation.id;
    expect(rotation).toMatchObject({ rotateAt: { hours: 3, minutes: 30 }, timeZone: "Europe/Berlin", rotationInterval: 30, isAutoRotationEnabled: true, managedBy: null });
    const creds = (await api("GET", `${ROTATIONS}/${rotation.id}/generated-credentials`)).body.generatedCredentials;
    for (const c of creds) expect(await canLogin(target.cluster, target.database, c.username, c.password)).toBe(true);
    await b.screenshot(page, "rotations", "desktop");
    await b.screenshot(page, "rotations", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("By keyboard alone: the whole wizard, from Add Secret Rotation to Create Secret Rotation", async () => {
    const users = [await target.addRole("kb_a"), await target.addRole("kb_b")];
    const focused = (l: Locator) => l.evaluate((el) => el === document.activeElement);
    /** Tab (never the mouse) until `l` has focus. */
    const tabTo = async (l: Locator, max = 40) => {
      for (let i = 0; i < max; i++) {
        if (await focused(l)) return;
        await page.keyboard.press("Tab");
      }
      throw new Error(`Tab never reached ${l.toString()}`);
    };
    const w = wizard();
    await page.goto(t.runner.url + "/");
    await page.getByRole("heading", { name: "Secret Rotations" }).waitFor();
    await tabTo(page.getByRole("button", { name: "Add Secret Rotation" }));
    await page.keyboard.press("Enter");
    await tabTo(w.getByRole("button", { name: /PostgreSQL Credentials/ }));
    await page.keyboard.press("Enter");
    const heading = w.getByRole("heading", { name: "Configuration" });
    await heading.waitFor();
    expect(await focused(heading)).toBe(true); // focus lands on the step
    await tabTo(w.getByLabel("PostgreSQL Connection"));
    // On the closed select: the first option opens the connection form inline; typing picks a connection by name.
    await page.keyboard.press("ArrowDown");
    await w.getByRole("group", { name: "Add Connection" }).waitFor();
    await page.keyboard.type("orders");
    await expect(w.getByLabel("PostgreSQL Connection").inputValue()).resolves.toBe(created.connection);
    await w.getByRole("group", { name: "Add Connection" }).waitFor({ state: "detached" });
    await tabTo(w.getByLabel("Rotation Interval"));
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("7");
    await tabTo(w.getByRole("switch", { name: "Auto-Rotation Enabled" }));
    await page.keyboard.press("Space");
    await tabTo(w.getByRole("button", { name: "Next" }));
    await page.keyboard.press("Enter");
    await w.getByRole("heading", { name: "Parameters" }).waitFor();
    await tabTo(w.getByLabel("Database Username 1"));
    await page.keyboard.type(users[0]);
    await page.keyboard.press("Tab");
    await page.keyboard.type(users[1]);
    await page.keyboard.press("Enter"); // Enter in a field: Next
    await w.getByRole("heading", { name: "Mappings" }).waitFor();
    await tabTo(w.getByLabel("Username"));
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("KB_DB_USER");
    await page.keyboard.press("Tab");
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("KB_DB_PASSWORD");
    await page.keyboard.press("Enter");
    await w.getByRole("heading", { name: "Details" }).waitFor();
    await tabTo(w.getByLabel("Name", { exact: true }));
    await page.keyboard.type("keyboard-made");
    await page.keyboard.press("Enter");
    await w.getByRole("heading", { name: "Review" }).waitFor();
    await tabTo(w.getByRole("button", { name: "Create Secret Rotation" }));
    await page.keyboard.press("Enter");
    await wizard().waitFor({ state: "detached" });
    await rowOf("keyboard-made").getByText("Auto-Rotation Disabled").waitFor();
    const r = (await api("GET", `${ROTATIONS}/rotation-name/keyboard-made?projectId=default&environment=dev&secretPath=/`)).body.secretRotation;
    expect(r).toMatchObject({ rotationInterval: 7, isAutoRotationEnabled: false, nextRotationAt: null, secretsMapping: { username: "KB_DB_USER", password: "KB_DB_PASSWORD" } });
    expect(r.parameters).toEqual({ username1: users[0], username2: users[1] });
    created.keyboard = r.id;
  });

  test("Each failed precheck is shown on the Parameters step with its SQL, which fixes it when run", async () => {
    const nologin = await weak.addRole("nologin", "NOLOGIN");
    const expired = await weak.addRole("expired", "LOGIN VALID UNTIL '2001-01-01'");
    const superuser = await weak.addRole("super", "SUPERUSER");
    const w = await openWizard();
    await walkWizard(w, { connectionId: weakConnectionId, users: ["no_such_user_q", weak.users[1]], name: "weak-rotation" });
    const precheck = w.getByRole("alert").filter({ hasText: /./ });
    const sql = w.getByLabel("SQL to run");
    const attempt = async (users: [string, string]) => {
      if (!(await w.getByRole("heading", { name: "Review" }).isVisible())) {
        await w.getByLabel("Database Username 1").fill(users[0]);
        await w.getByLabel("Database Username 2").fill(users[1]);
        for (let i = 0; i < 3; i++) await w.getByRole("button", { name: "Next" }).click();
      }
      await w.getByRole("button", { name: "Create Secret Rotation" }).click();
      await w.getByRole("heading", { name: "Parameters" }).waitFor();
    };
    await attempt(["no_such_user_q", weak.users[1]]);
    await precheck.filter({ hasText: 'The target has no role named "no_such_user_q"' }).waitFor();
    await expect(sql.textContent()).resolves.toBe('CREATE ROLE "no_such_user_q" LOGIN;');
    await b.screenshot(page, "wizard-precheck", "desktop");
    await b.screenshot(page, "wizard-precheck", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });

    await attempt([nologin, expired]);
    await precheck.filter({ hasText: "cannot rotate" }).waitFor();
    const lines = (await sql.textContent())!.split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        `ALTER ROLE "${nologin}" LOGIN;`,
        `ALTER ROLE "${expired}" VALID UNTIL 'infinity';`,
        `ALTER ROLE "${weak.admin.username}" CREATEROLE;`,
        `GRANT "${nologin}" TO "${weak.admin.username}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`,
      ]),
    );
    await attempt([superuser, weak.users[1]]);
    await precheck.filter({ hasText: `"${superuser}" is a superuser` }).waitFor();
    await expect(sql.count()).resolves.toBe(0);

    // The real users: run exactly the SQL shown (copied with Copy SQL), then Create succeeds; nothing typed was lost.
    await attempt([weak.users[0], weak.users[1]]);
    await precheck.filter({ hasText: "missing CREATEROLE" }).waitFor();
    await w.getByRole("button", { name: "Copy SQL" }).click();
    const copied = await clipboard();
    expect(copied).toBe(await sql.textContent());
    await weak.sql(copied);
    for (let i = 0; i < 3; i++) await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Review" }).waitFor();
    await expect(w.getByText("weak-rotation", { exact: true }).count()).resolves.toBe(1);
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    await wizard().waitFor({ state: "detached" });
    await rowOf("weak-rotation").waitFor();
    await t.api("DELETE", `${ROTATIONS}/${(await t.api("GET", `${ROTATIONS}/rotation-name/weak-rotation?projectId=default`)).body.secretRotation.id}?deleteSecrets=true`);
  });

  test("A name or secret already taken is shown on its step and field (409), with every value kept", async () => {
    const users: [string, string] = [await target.addRole("dup_a"), await target.addRole("dup_b")];
    const w = await openWizard();
    await walkWizard(w, { connectionId: created.connection, users, name: "orders-db-credentials", secrets: ["POSTGRES_DB_USERNAME", "POSTGRES_DB_PASSWORD"] });
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    await w.getByRole("heading", { name: "Details" }).waitFor();
    await w.getByText(/A secret rotation named "orders-db-credentials" already exists/).waitFor();
    await w.getByLabel("Name", { exact: true }).fill("orders-db-copy");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    await w.getByRole("heading", { name: "Mappings" }).waitFor();
    const taken = w.getByText(/Secret "POSTGRES_DB_\w+" and "POSTGRES_DB_\w+" already exists/);
    await taken.first().waitFor();
    await expect(taken.count()).resolves.toBe(2); // on both fields
    await expect(w.getByLabel("Name", { exact: true }).count()).resolves.toBe(0);
    await w.getByRole("button", { name: "Next" }).click();
    await expect(w.getByLabel("Name", { exact: true }).inputValue()).resolves.toBe("orders-db-copy"); // kept
    await w.getByRole("button", { name: "Cancel" }).click();
    await wizard().waitFor({ state: "detached" });
  });

  test("Rotate Secrets: confirm; a second rotation within 10 minutes meets the grace guard, which says when, and Force rotates", async () => {
    const row = rowOf("orders-db-credentials");
    await row.getByRole("button", { name: "Rotate Secrets" }).click();
    const dialog = page.getByRole("dialog", { name: "Rotate Secrets" });
    await dialog.getByText(`${target.users[1]}`, { exact: true }).first().waitFor();
    await dialog.getByRole("button", { name: "Rotate Secrets" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: `Rotated orders-db-credentials: ${target.users[1]} is now the active user` }).waitFor();
    await row.getByText(target.users[1], { exact: true }).waitFor();

    await row.getByRole("button", { name: "Rotate Secrets" }).click();
    await dialog.getByRole("button", { name: "Rotate Secrets" }).click();
    await dialog.getByText("Rotation is held back by the grace period.").waitFor();
    await dialog.getByText(/Allowed in (9|10) minutes/).waitFor();
    await b.screenshot(page, "rotate-grace", "desktop");
    await b.screenshot(page, "rotate-grace", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
    await dialog.getByRole("button", { name: "Force" }).click();
    await dialog.waitFor({ state: "detached" });
    await row.getByText(target.users[0], { exact: true }).waitFor();
    const history = (await api("GET", `${ROTATIONS}/${created.rotation}/history`)).body.history;
    expect(history.map((h: { trigger: string }) => h.trigger)).toEqual(["manual", "manual", "create"]);
  });

  test("View Generated Credentials: Current and Retired Credentials, masked until shown, copyable, and they log in", async () => {
    await rowOf("orders-db-credentials").getByRole("button", { name: "View Generated Credentials" }).click();
    const dialog = page.getByRole("dialog", { name: "Generated Credentials" });
    const current = dialog.getByRole("group", { name: "Current Credentials" });
    const retired = dialog.getByRole("group", { name: "Retired Credentials" });
    await current.getByText(target.users[0], { exact: true }).waitFor();
    await retired.getByText(target.users[1], { exact: true }).waitFor();
    await current.getByLabel("Password (hidden)").waitFor();
    await b.screenshot(page, "generated-credentials", "desktop");
    await b.screenshot(page, "generated-credentials", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
    const passwords: string[] = [];
    for (const group of [current, retired]) {
      await group.getByRole("button", { name: "Show password" }).click();
      const shown = (await group.locator(".secret-text").textContent())!;
      expect(shown).toMatch(/^[A-Za-z0-9]{48}$/);
      passwords.push(shown);
      await group.getByRole("button", { name: "Copy password" }).click();
      await group.getByText("Copied").waitFor();
      expect(await clipboard()).toBe(shown);
      await group.getByRole("button", { name: "Hide password" }).click();
      await expect(group.getByText(shown).count()).resolves.toBe(0);
    }
    expect(await canLogin(target.cluster, target.database, target.users[0], passwords[0])).toBe(true);
    expect(await canLogin(target.cluster, target.database, target.users[1], passwords[1])).toBe(true);
    await dialog.getByRole("button", { name: "Close", exact: true }).first().click();
    await dialog.waitFor({ state: "detached" });
    created.passwords = passwords.join("\n");
  });

  test("The rotation's page: its fields, schedule and history; a deep link reloads; Edit locks what identifies it", async () => {
    await page.getByRole("link", { name: "orders-db-credentials", exact: true }).click();
    await page.waitForURL(`${t.runner.url}/rotations/${created.rotation}`);
    await page.reload();
    await page.getByRole("heading", { name: "orders-db-credentials", level: 1 }).waitFor();
    const history = page.getByRole("table").filter({ has: page.getByRole("columnheader", { name: "Trigger" }) });
    await history.getByRole("cell", { name: "create" }).waitFor();
    await expect(history.getByRole("row").count()).resolves.toBe(4); // header + create + 2 manual
    await page.getByText("03:30 (Europe/Berlin)").waitFor();
    await b.screenshot(page, "rotation-page", "desktop");
    await b.screenshot(page, "rotation-page", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Secret Rotation" });
    await expect(edit.getByLabel("PostgreSQL Connection").isDisabled()).resolves.toBe(true);
    await expect(edit.getByLabel("Environment").isDisabled()).resolves.toBe(true);
    await edit.getByLabel("Rotation Interval").fill("14");
    await edit.getByRole("button", { name: "Next" }).click();
    await expect(edit.getByLabel("Database Username 1").isDisabled()).resolves.toBe(true);
    await expect(edit.getByLabel("Database Username 1").inputValue()).resolves.toBe(target.users[0]);
    for (let i = 0; i < 3; i++) await edit.getByRole("button", { name: "Next" }).click();
    await edit.getByRole("button", { name: "Save Changes" }).click();
    await edit.waitFor({ state: "detached" });
    await page.getByText("14 days", { exact: true }).waitFor();
    const r = (await api("GET", `${ROTATIONS}/${created.rotation}`)).body.secretRotation;
    expect(r).toMatchObject({ rotationInterval: 14, rotateAt: { hours: 3, minutes: 30 }, timeZone: "Europe/Berlin", description: "The orders service's database users" });
  });

  test("App Connections (Allowed Scopes edited row by row, checked with the runner's schema), Secrets and Runner status pages", async () => {
    await page.getByRole("link", { name: "App Connections" }).click();
    await page.getByRole("heading", { name: "App Connections" }).waitFor();
    const row = page.getByRole("row").filter({ hasText: "orders-db" });
    await row.getByRole("button", { name: "Delete" }).click();
    const del = page.getByRole("dialog", { name: "Delete Connection" });
    await del.getByRole("button", { name: "Delete" }).click();
    await del.getByRole("alert").filter({ hasText: /is used by 2 secret rotation/ }).waitFor();
    await del.getByRole("button", { name: "Cancel" }).click();
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Connection" });
    await edit.getByLabel("Description").fill("Orders, primary");
    await edit.getByLabel("Password").waitFor(); // left empty: the stored password is kept
    // Allowed Scopes: which scoped tokens may use the connection, a labelled row each.
    await edit.getByRole("button", { name: "Add Scope" }).click();
    const scope = edit.getByRole("group", { name: "Allowed Scope 1" });
    await scope.getByLabel("Project").fill("shop");
    await scope.getByLabel("Path").fill("team-a");
    await edit.getByRole("button", { name: "Connect to Database" }).click();
    await scope.getByText(/^Path must look like/).waitFor();
    await scope.getByLabel("Path").fill("/team-a");
    await edit.getByRole("button", { name: "Connect to Database" }).click();
    await edit.waitFor({ state: "detached" });
    await row.getByText("Orders, primary").waitFor();
    await row.getByText("shop · any environment · /team-a").waitFor();
    expect((await api("GET", `${CONNECTIONS}/${created.connection}`)).body.appConnection.allowedScopes).toEqual([{ projectId: "shop", environment: null, secretPath: "/team-a" }]);
    await page.getByRole("button", { name: "Add Connection" }).click();
    await b.screenshot(page, "add-connection", "desktop");
    await b.screenshot(page, "add-connection", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("dialog", { name: "Add Connection" }).getByRole("button", { name: "Cancel" }).click();
    await b.screenshot(page, "connections", "desktop");
    await b.screenshot(page, "connections", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    const secret = page.getByRole("row").filter({ hasText: "POSTGRES_DB_PASSWORD" });
    await secret.getByText("Rotated").waitFor();
    await secret.getByRole("link", { name: "orders-db-credentials" }).waitFor();
    await secret.getByRole("button", { name: "Show value" }).click();
    await secret.getByText(created.passwords.split("\n")[0], { exact: true }).waitFor();
    await b.screenshot(page, "secrets", "desktop");
    await b.screenshot(page, "secrets", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole("link", { name: "Runner status" }).click();
    const counts = page.locator("dl.status-counts");
    await counts.getByText("Ready").waitFor();
    await expect(counts.textContent()).resolves.toMatch(/Rotations2Failing0Overdue0Pending intents0/);
    await b.screenshot(page, "status", "desktop");
    await b.screenshot(page, "status", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("A scoped manage session's connection picker offers only the connections granted to the folder chosen in Configuration", async () => {
    // orders-db is granted to shop /team-a (previous test); weak-db to nobody.
    const token = (await api("POST", "/api/v1/auth/tokens", { name: "shop-manager", projectId: "shop", permission: "manage" })).body.secret as string;
    const scoped = await b.open("desktop");
    try {
      const p = scoped.page;
      p.setDefaultTimeout(10_000);
      await signInWithToken(p, t.runner.url, token);
      await p.getByRole("button", { name: "Add Secret Rotation" }).click();
      const w = p.getByRole("dialog", { name: "Add Secret Rotation" });
      await w.getByRole("button", { name: /PostgreSQL Credentials/ }).click();
      const picker = w.getByLabel("PostgreSQL Connection");
      const offered = async () => (await picker.locator("option:not([disabled])").allTextContents()).map((o) => o.split(" (")[0]);
      await w.getByText("No connection is granted to this folder").waitFor(); // path "/": not under /team-a
      expect(await offered()).toEqual([]);
      await w.getByLabel("Secret Path").fill("/team-a/orders");
      await picker.locator("option", { hasText: "orders-db" }).waitFor({ state: "attached" });
      expect(await offered()).toEqual(["orders-db"]); // no "+ Add Connection": only an unscoped token adds one
      await picker.selectOption({ label: await picker.locator("option", { hasText: "orders-db" }).innerText() });
      await w.getByLabel("Secret Path").fill("/team-b");
      await w.getByText(/orders-db is not granted to project shop, environment dev, path \/team-b/).waitFor();
      expect(unexpected(scoped.problems)).toEqual([]);
    } finally {
      await scoped.context.close();
    }
  });

  test("Delete: type the name; Revoke Credentials and Delete Secrets are off until switched on; revoked users are locked out", async () => {
    await page.getByRole("link", { name: "Secret Rotations" }).click();
    await rowOf("orders-db-credentials").getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete Secret Rotation" });
    const revoke = dialog.getByRole("switch", { name: "Revoke Credentials" });
    const secrets = dialog.getByRole("switch", { name: "Delete Secrets" });
    await expect(revoke.isChecked()).resolves.toBe(false);
    await expect(secrets.isChecked()).resolves.toBe(false);
    const confirm = dialog.getByRole("button", { name: "Delete", exact: true });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await revoke.check();
    await secrets.check();
    await dialog.getByLabel("Type orders-db-credentials to confirm").fill("orders-db-credential");
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel("Type orders-db-credentials to confirm").fill("orders-db-credentials");
    await b.screenshot(page, "delete", "desktop");
    await b.screenshot(page, "delete", "mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
    await confirm.click();
    await dialog.waitFor({ state: "detached" });
    await rowOf("orders-db-credentials").waitFor({ state: "detached" });
    const [p0, p1] = created.passwords.split("\n");
    expect(await canLogin(target.cluster, target.database, target.users[0], p0)).toBe(false);
    expect(await canLogin(target.cluster, target.database, target.users[1], p1)).toBe(false);
    const left = (await api("GET", "/api/v3/secrets/raw?workspaceId=default&environment=dev&secretPath=/")).body.secrets.map((s: { secretKey: string }) => s.secretKey);
    expect(left).not.toContain("POSTGRES_DB_PASSWORD");
    expect(left).toContain("KB_DB_PASSWORD");
  });
});
