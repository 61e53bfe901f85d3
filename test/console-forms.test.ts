/**
 * The console's forms in a real Chromium against a real runner and PostgreSQL (react-hook-form with the runner's
 * zod schemas; saves through TanStack Query mutations): errors announced on their fields with focus on the first,
 * the runner's refusals on the field they name, and a pending save said on its button. A request is held back (never
 * answered by the test) with Playwright's route, to see the page while it waits.
 */
import type { Locator, Page, Route } from "playwright-core";
import { type ConsoleBrowser, type PageProblems, unexpected as problemsOf } from "./helpers/browser";
import { signedInConsole } from "./helpers/console-suite";
import type { TestRunner } from "./helpers/runner";
import type { Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const unexpected = (p: PageProblems) => problemsOf(p, [401, 409, 422]);

describe("Web console forms in a real browser", () => {
  const suite = signedInConsole({ prefix: "cforms", connectionName: "forms-db" });
  let t: TestRunner;
  let target: Target;
  let b: ConsoleBrowser;
  let page: Page;
  let problems: PageProblems;
  let connectionId: string;

  beforeAll(() => void ({ t, target, connectionId, b, page, problems } = suite));
  afterEach(async () => {
    await page.unrouteAll({ behavior: "wait" });
    expect(unexpected(problems)).toEqual([]);
  });

  /** Each field marked invalid, by its label, with the announced messages it is described by; and the label of the focused element. */
  const invalidFields = (scope: Locator) =>
    scope.evaluate((root) => {
      const labelOf = (el: Element | null) => (el?.id ? (document.querySelector(`label[for="${el.id}"]`)?.textContent ?? "") : "");
      const fields = [...root.querySelectorAll('[aria-invalid="true"]')].map((el) => ({
        label: labelOf(el),
        messages: (el.getAttribute("aria-describedby") ?? "")
          .split(" ")
          .map((id) => document.getElementById(id))
          .filter((d) => d?.getAttribute("role") === "alert")
          .map((d) => d!.textContent),
      }));
      return { fields, focused: labelOf(document.activeElement) };
    });

  /** Waits until the field labelled `label` has focus. */
  const focusOn = (label: string) =>
    page.waitForFunction((l) => {
      const el = document.activeElement;
      return !!el?.id && document.querySelector(`label[for="${el.id}"]`)?.textContent === l;
    }, label);

  /** Holds the requests of `on` matching `url` and `method` until `release()`: then they go on to the runner. */
  async function hold(url: string, method: string, on = page): Promise<{ seen: Promise<void>; release: () => void }> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let seen!: () => void;
    const arrived = new Promise<void>((resolve) => (seen = resolve));
    await on.route(url, async (route: Route) => {
      if (route.request().method() !== method) return route.fallback();
      seen();
      await released;
      await route.continue();
    });
    return { seen: arrived, release };
  }

  async function openWizard(): Promise<Locator> {
    await page.goto(t.runner.url + "/");
    await page.getByRole("button", { name: "Add Secret Rotation" }).click();
    const w = page.getByRole("dialog", { name: "Add Secret Rotation" });
    await w.getByRole("button", { name: /PostgreSQL Credentials/ }).click();
    await w.getByRole("heading", { name: "Configuration" }).waitFor();
    return w;
  }

  test("When a wizard step has two invalid fields, then Next focuses the first and both messages are announced", async () => {
    const w = await openWizard();
    await w.getByLabel("PostgreSQL Connection").selectOption(connectionId);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Parameters" }).waitFor();
    await w.getByRole("button", { name: "Next" }).click();
    await focusOn("Database Username 1");
    await expect(invalidFields(w)).resolves.toEqual({
      fields: [
        { label: "Database Username 1", messages: ["Database Username 1 must not be empty"] },
        { label: "Database Username 2", messages: ["Database Username 2 must not be empty"] },
      ],
      focused: "Database Username 1",
    });
    await w.getByRole("heading", { name: "Parameters" }).waitFor(); // still on the step
    await w.getByRole("button", { name: "Cancel" }).click();
  });

  test("When the runner refuses a connection name as taken, then the error shows on the Name field, which gets focus", async () => {
    await page.goto(t.runner.url + "/app-connections");
    await page.getByRole("button", { name: "Add Connection" }).click();
    const add = page.getByRole("dialog", { name: "Add Connection" });
    const body = target.connectionBody("forms-db").credentials as Record<string, string | number>;
    await add.getByLabel("Name", { exact: true }).fill("forms-db");
    await add.getByLabel("Host").fill(String(body.host));
    await add.getByLabel("Port").fill(String(body.port));
    await add.getByLabel("Database Name").fill(String(body.database));
    await add.getByLabel("Username").fill(String(body.username));
    await add.getByLabel("Password").fill(String(body.password));
    await add.getByRole("button", { name: "Connect to Database" }).click();
    await focusOn("Name");
    const found = await invalidFields(add);
    expect(found.focused).toBe("Name");
    expect(found.fields).toEqual([{ label: "Name", messages: [expect.stringMatching(/forms-db.*already exists/)] }]);
    await add.getByRole("button", { name: "Cancel" }).click();
    expect((await t.api("GET", CONNECTIONS)).body.appConnections.filter((c: { name: string }) => c.name === "forms-db")).toHaveLength(1);
  });

  test("While the rotation is being created, the submit button is disabled and says so; then the rotation is listed", async () => {
    const w = await openWizard();
    await w.getByLabel("PostgreSQL Connection").selectOption(connectionId);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Database Username 1").fill(target.users[0]);
    await w.getByLabel("Database Username 2").fill(target.users[1]);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Mappings" }).waitFor();
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Name", { exact: true }).fill("forms-pending");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Review" }).waitFor();
    const create = await hold(`**${ROTATIONS}`, "POST");
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    await create.seen;
    const pending = w.getByRole("button", { name: "Creating…" });
    await pending.waitFor();
    await expect(pending.isDisabled()).resolves.toBe(true);
    create.release();
    await w.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: "Created secret rotation forms-pending" }).waitFor();
    await page.getByRole("link", { name: "forms-pending", exact: true }).waitFor();
  });

  test("While signing in, the Sign in button is disabled and says so", async () => {
    const other = await b.open("desktop");
    try {
      const p = other.page;
      p.setDefaultTimeout(10_000);
      await p.goto(t.runner.url + "/");
      await p.getByLabel("Token", { exact: true }).fill(t.runner.adminToken);
      const signIn = await hold("**/api/v1/console/session", "POST", p);
      await p.getByRole("button", { name: "Sign in" }).click();
      await signIn.seen;
      const pending = p.getByRole("button", { name: "Signing in…" });
      await pending.waitFor();
      await expect(pending.isDisabled()).resolves.toBe(true);
      signIn.release();
      await p.getByRole("button", { name: "Sign out" }).waitFor();
      expect(unexpected(other.problems)).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  test("When the Secrets page's folder is not a path, then Show Secrets says so on Secret Path and the address keeps the folder shown", async () => {
    await page.goto(t.runner.url + "/secrets");
    const folder = page.getByRole("form", { name: "Folder" });
    await folder.getByLabel("Secret Path").fill("no-slash");
    await folder.getByRole("button", { name: "Show Secrets" }).click();
    await focusOn("Secret Path");
    await expect(invalidFields(folder)).resolves.toEqual({
      fields: [{ label: "Secret Path", messages: ['Secret Path must look like "/" or "/app/db"'] }],
      focused: "Secret Path",
    });
    expect(new URL(page.url()).searchParams.get("path")).toBeNull();
    await folder.getByLabel("Secret Path").fill("/");
    await folder.getByRole("button", { name: "Show Secrets" }).click();
    await page.waitForURL(/path=%2F/);
    await expect(invalidFields(folder)).resolves.toMatchObject({ fields: [] });
  });

  test("When the runner refuses a rotation name as taken (409) on Create, then the wizard goes back to Details with the error on Name, focused, and every value kept", async () => {
    const users: [string, string] = [await target.addRole("dup_a"), await target.addRole("dup_b")];
    const w = await openWizard();
    await w.getByLabel("PostgreSQL Connection").selectOption(connectionId);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Database Username 1").fill(users[0]);
    await w.getByLabel("Database Username 2").fill(users[1]);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Username").fill("DUP_USERNAME");
    await w.getByLabel("Password").fill("DUP_PASSWORD");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Name", { exact: true }).fill("forms-pending"); // created by the test before
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    await w.getByRole("heading", { name: "Details" }).waitFor();
    await focusOn("Name");
    await expect(invalidFields(w)).resolves.toEqual({ fields: [{ label: "Name", messages: [expect.stringMatching(/"forms-pending" already exists/)] }], focused: "Name" });
    await w.getByRole("button", { name: "Back" }).click();
    await expect(w.getByLabel("Password").inputValue()).resolves.toBe("DUP_PASSWORD");
    await w.getByRole("button", { name: "Cancel" }).click();
    expect((await t.api("GET", `${ROTATIONS}?projectId=default`)).body.secretRotations.map((r: { name: string }) => r.name)).toEqual(["forms-pending"]);
  });
});
