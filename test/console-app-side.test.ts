/**
 * The console's part of the app side, in a real Chromium: the Parameters step shows the setup SQL for the chosen
 * connection and users; a create whose users differ says so; the rotation page's Pair Check lists each difference
 * with its SQL, and after that SQL runs it says the pair is interchangeable; its Drift Check repairs a password
 * changed by hand; Who Uses Each User names the sessions on each user, and a held rotation shows who holds it.
 */
import { Client } from "pg";
import type { Page } from "playwright-core";
import { type ConsoleBrowser, type PageProblems, unexpected } from "./helpers/browser";
import { canLogin } from "./helpers/pg";
import { signedInConsole } from "./helpers/console-suite";
import type { TestRunner } from "./helpers/runner";
import type { Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Web console: setup SQL and the pair check", () => {
  const suite = signedInConsole({ prefix: "capp", connectionName: "app-side-db", defaultTimeoutMs: 15_000 });
  let t: TestRunner;
  let target: Target;
  let b: ConsoleBrowser;
  let page: Page;
  let problems: PageProblems;
  let connectionId: string;

  beforeAll(() => void ({ t, target, connectionId, b, page, problems } = suite));
  afterEach(() => {
    expect(unexpected(problems)).toEqual([]);
  });

  test("The Parameters step shows the setup SQL for the chosen connection's database, its role, the server's version and the typed users; a create whose users differ says so, a role without pg_monitor is a warning kept until dismissed, and the rotation's Pair Check gives the SQL that fixes it", async () => {
    // A table only user1 may read: the pair is not interchangeable.
    await target.sql("CREATE TABLE orders (id int)");
    await target.sql(`GRANT SELECT ON orders TO "${target.users[0]}"`);

    await page.getByRole("button", { name: "Add Secret Rotation" }).click();
    const w = page.getByRole("dialog", { name: "Add Secret Rotation" });
    await w.getByRole("button", { name: /PostgreSQL Credentials/ }).click();
    await w.getByLabel("PostgreSQL Connection").selectOption(connectionId);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Database Username 1").fill(target.users[0]);
    await w.getByLabel("Database Username 2").fill(target.users[1]);
    await w.getByText("Prepare the Database").click();
    const sql = w.getByLabel("Setup SQL");
    await sql.waitFor();
    const text = await sql.innerText();
    expect(text).toContain(`CREATE ROLE "${target.users[0]}" LOGIN;`);
    expect(text).toContain(`GRANT CONNECT ON DATABASE "${target.database}" TO "${target.admin.username}";`);
    expect(text).toContain(`GRANT "${target.users[1]}" TO "${target.admin.username}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`); // PostgreSQL 17
    expect(text).not.toMatch(/PASSWORD\s+'/i);
    await b.screenshot(page, "wizard-setup-sql", "desktop");

    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Username").fill("APP_SIDE_USERNAME");
    await w.getByLabel("Password").fill("APP_SIDE_PASSWORD");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Name", { exact: true }).fill("app-side");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    const notice = page.getByRole("status").filter({ hasText: /Created secret rotation app-side\. Its two users are not interchangeable \(1 difference\)/ });
    await notice.waitFor();
    // The connection role lacks pg_monitor: the precheck's warning stays in the notice, with the GRANT, until dismissed.
    await notice.getByRole("listitem").filter({ hasText: `GRANT pg_monitor TO "${target.admin.username}";` }).waitFor();
    await page.waitForTimeout(8500); // longer than a plain confirmation stays
    expect(await notice.getByText("cannot see other roles' session details", { exact: false }).isVisible()).toBe(true);
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await page.locator(".notice").filter({ hasText: "pg_monitor" }).waitFor({ state: "detached" });

    await page.getByRole("link", { name: "app-side", exact: true }).click();
    await page.getByRole("button", { name: "Check the Pair" }).click();
    await page.getByText("Not interchangeable").waitFor();
    const fix = await page.getByLabel("SQL that makes the pair interchangeable").innerText();
    expect(fix).toContain(`GRANT SELECT ON TABLE public.orders TO "${target.users[1]}";`);
    await b.screenshot(page, "pair-check", "desktop");
    await target.sql(fix);
    const pair = page.getByRole("region", { name: "Pair Check" });
    await pair.getByRole("button", { name: "Check Again" }).click();
    await pair.getByText("Interchangeable", { exact: true }).waitFor();
  });

  test("When the active user's password was changed by hand, then the rotation page's Drift Check sets the stored one again and says so, and the stored password logs in", async () => {
    const rotations = (await t.api("GET", `${ROTATIONS}?projectId=default`)).body.secretRotations as { id: string; name: string }[];
    const rotation = rotations.find((r) => r.name === "app-side")!;
    const creds = (await t.api("GET", `${ROTATIONS}/${rotation.id}/generated-credentials`)).body;
    const active = creds.generatedCredentials[creds.activeIndex];
    await target.sql(`ALTER ROLE "${active.username}" PASSWORD 'changed-by-hand-${Date.now()}'`);
    expect(await canLogin(target.cluster, target.database, active.username, active.password)).toBe(false);

    const drift = page.getByRole("region", { name: "Drift Check" });
    await drift.getByText("set the stored password again").waitFor();
    await drift.getByRole("button", { name: "Check for Drift" }).click();
    await drift.getByText("Drift repaired.").waitFor();
    await drift.getByText(`the stored password of "${active.username}" no longer logs in`, { exact: false }).waitFor();
    const row = drift.getByRole("row").filter({ hasText: active.username });
    await row.getByRole("cell", { name: "yes" }).waitFor();
    expect(await canLogin(target.cluster, target.database, active.username, active.password)).toBe(true);
    await b.screenshot(page, "drift-check", "desktop");
  });

  test("When billing-app is logged in as the inactive user, then Who Uses Each User names it, and a held rotation's badge says Held, by whom", async () => {
    const rotations = (await t.api("GET", `${ROTATIONS}?projectId=default`)).body.secretRotations as { id: string; name: string }[];
    const rotation = rotations.find((r) => r.name === "app-side")!;
    const creds = (await t.api("GET", `${ROTATIONS}/${rotation.id}/generated-credentials`)).body;
    const inactive = creds.generatedCredentials[1 - creds.activeIndex];
    const session = new Client({ host: target.cluster.host, port: target.cluster.port, database: target.database, user: inactive.username, password: inactive.password, application_name: "billing-app" });
    session.on("error", () => undefined);
    await session.connect();
    await target.sql(`GRANT pg_monitor TO "${target.admin.username}"`); // addresses and names of other roles' sessions
    try {
      const usage = page.getByRole("region", { name: "Who Uses Each User" });
      await usage.getByRole("button", { name: "Check Who Uses Each User" }).click();
      const row = usage.getByRole("row").filter({ hasText: inactive.username });
      await row.getByText("billing-app", { exact: false }).waitFor();
      await row.getByText("(inactive: changed at the next rotation)").waitFor();

      await t.runner.pool.query("UPDATE rotations SET rotation_status = 'held', held_since = now(), held_by = $2, next_rotation_at = now() + interval '15 seconds' WHERE id = $1", [rotation.id, `"billing-app" (1 session) on "${inactive.username}"`]);
      await page.reload();
      await page.locator(".badge", { hasText: "Held" }).first().waitFor();
      await page.getByText(`Waiting: still in use by "billing-app" (1 session) on "${inactive.username}".`).waitFor();
      await b.screenshot(page, "rotation-held", "mobile"); // then back to the desktop size
      await b.screenshot(page, "rotation-held", "desktop");
    } finally {
      await session.end();
    }
  });
});
