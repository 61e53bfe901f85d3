/**
 * The console's accessibility in a real Chromium against a real runner and PostgreSQL: axe-core finds no serious
 * or critical violation on any page or dialog; row actions say which row they act on; a step or form that fails
 * validation moves focus to its first wrong field and announces it; the focus ring contrasts 3:1 with what is
 * behind it; a page that fails to render says so with a way back; the Secrets page says it is loading; a
 * confirmation stays on its page; a rotation's history is paged.
 */
import type { Locator, Page } from "playwright-core";
import { type AxeFinding, seriousViolations } from "./helpers/axe";
import { type ConsoleBrowser, type PageProblems, unexpected as problemsOf } from "./helpers/browser";
import { signedInConsole } from "./helpers/console-suite";
import type { TestRunner } from "./helpers/runner";
import { infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const unexpected = (p: PageProblems) => problemsOf(p, [401, 404, 409, 422], /URIError|The above error occurred|React will try to recreate/);

describe("Web console accessibility in a real browser", () => {
  const suite = signedInConsole({ prefix: "ca11y", connectionName: "a11y-db" });
  let t: TestRunner;
  let target: Target;
  let b: ConsoleBrowser;
  let page: Page;
  let problems: PageProblems;
  let connectionId: string;
  let rotation: { id: string; name: string };
  let second: { id: string; name: string };
  /** What axe found, per page or dialog (asserted empty after each test, printed with rule ids and targets). */
  let found: Array<{ where: string; violations: AxeFinding[] }> = [];

  beforeAll(async () => {
    ({ t, target, connectionId, b, page, problems } = suite);
    rotation = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "a11y-rotation", projectId: "default" }))).body.secretRotation;
    const users: [string, string] = [await target.addRole("second_a"), await target.addRole("second_b")];
    second = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, users, { name: "a11y-second-rotation", projectId: "default", secretsMapping: { username: "SECOND_USERNAME", password: "SECOND_PASSWORD" } }))).body.secretRotation;
  }, 60_000);
  afterEach(() => {
    const report = found.filter((f) => f.violations.length > 0);
    found = [];
    expect(report).toEqual([]);
    expect(unexpected(problems)).toEqual([]);
  });

  const check = async (where: string, on = page) => found.push({ where, violations: await seriousViolations(on) });
  const rowOf = (name: string): Locator => page.getByRole("row").filter({ hasText: name });

  test("axe-core finds no serious or critical violation on any page or dialog", async () => {
    const signedOut = await b.open("desktop");
    try {
      await signedOut.page.goto(t.runner.url + "/");
      await signedOut.page.getByRole("button", { name: "Sign in" }).click();
      await signedOut.page.getByText("Token is required").waitFor();
      await check("sign-in with an error", signedOut.page);
      await signedOut.page.getByRole("tab", { name: "Machine Identity" }).click();
      await check("sign-in, Machine Identity", signedOut.page);
    } finally {
      await signedOut.context.close();
    }
    await page.goto(t.runner.url + "/");

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
    await w.getByLabel("PostgreSQL Connection").selectOption(connectionId);
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

  /** The names of a table's buttons, as a screen reader reads them (visually hidden text included). */
  const buttonNames = (scope: Locator) => scope.getByRole("button").evaluateAll((els) => els.map((e) => (e.textContent ?? "").replace(/\s+/g, " ").trim()));

  test("Row actions are named with their rotation or connection: no two buttons of a list share a name", async () => {
    await page.goto(t.runner.url + "/");
    await rowOf("a11y-second-rotation").waitFor();
    for (const name of [rotation.name, second.name]) {
      for (const action of [`Rotate Secrets of ${name}`, `View Generated Credentials of ${name}`, `Edit ${name}`, `Delete ${name}`]) {
        await rowOf(name).getByRole("button", { name: action, exact: true }).waitFor();
      }
    }
    const names = await buttonNames(page.getByRole("table"));
    expect(names.length).toBe(8);
    expect(new Set(names).size).toBe(names.length);
    // The names are for screen readers: what the row shows is still "Rotate Secrets", "Edit", "Delete".
    const shown = rowOf(second.name).getByRole("button", { name: `Delete ${second.name}` }).evaluate((el) => el.checkVisibility() && [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join(""));
    await expect(shown).resolves.toBe("Delete");

    await page.getByRole("link", { name: "App Connections" }).click();
    await rowOf("a11y-db").getByRole("button", { name: "Edit a11y-db", exact: true }).waitFor();
    await rowOf("a11y-db").getByRole("button", { name: "Delete a11y-db", exact: true }).waitFor();
    await page.getByRole("link", { name: "Secrets" }).click();
    await rowOf("POSTGRES_DB_PASSWORD").getByRole("button", { name: "Show value of POSTGRES_DB_PASSWORD", exact: true }).waitFor();
    const secretButtons = await buttonNames(page.getByRole("table"));
    expect(new Set(secretButtons).size).toBe(secretButtons.length);
  });

  /** The focused element's tag, accessible description ids resolved to text, and aria-invalid. */
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const described = (el.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean).map((id) => document.getElementById(id));
      return {
        label: el.id ? (document.querySelector(`label[for="${el.id}"]`)?.textContent ?? "") : "",
        invalid: el.getAttribute("aria-invalid"),
        messages: described.filter((d) => d?.getAttribute("role") === "alert").map((d) => d!.textContent),
      };
    });

  test("A wizard step, a connection form or the sign-in that fails validation moves focus to its first wrong field, marked aria-invalid and described by its announced message", async () => {
    await page.goto(t.runner.url + "/");
    await page.getByRole("button", { name: "Add Secret Rotation" }).click();
    const w = page.getByRole("dialog", { name: "Add Secret Rotation" });
    await w.getByRole("button", { name: /PostgreSQL Credentials/ }).click();
    await w.getByRole("heading", { name: "Configuration" }).waitFor();
    await w.getByLabel("Rotation Interval").fill("");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText("Select a PostgreSQL connection (or add one)").waitFor();
    await expect(focused()).resolves.toEqual({ label: "PostgreSQL Connection", invalid: "true", messages: ["Select a PostgreSQL connection (or add one)"] });
    await w.getByLabel("PostgreSQL Connection").selectOption(connectionId);
    await w.getByRole("button", { name: "Next" }).click();
    await expect(focused()).resolves.toMatchObject({ label: "Rotation Interval", invalid: "true" });
    await w.getByLabel("Rotation Interval").fill("30");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Parameters" }).waitFor();
    await w.getByLabel("Database Username 1").fill("someone");
    await w.getByRole("button", { name: "Next" }).click();
    await expect(focused()).resolves.toEqual({ label: "Database Username 2", invalid: "true", messages: ["Database Username 2 must not be empty"] });
    await w.getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("link", { name: "App Connections" }).click();
    await page.getByRole("button", { name: "Add Connection" }).click();
    const add = page.getByRole("dialog", { name: "Add Connection" });
    await add.getByLabel("Name", { exact: true }).fill("ok-name");
    await add.getByRole("button", { name: "Connect to Database" }).click();
    await expect(focused()).resolves.toMatchObject({ label: "Host", invalid: "true", messages: [expect.any(String)] });
    await add.getByRole("button", { name: "Cancel" }).click();

    const other = await b.open("desktop");
    try {
      await other.page.goto(t.runner.url + "/");
      await other.page.getByRole("button", { name: "Sign in" }).click();
      await other.page.getByRole("alert").filter({ hasText: "Token is required" }).waitFor();
      const token = other.page.getByLabel("Token", { exact: true });
      await expect(token.evaluate((el) => el === document.activeElement && el.getAttribute("aria-invalid"))).resolves.toBe("true");
    } finally {
      await other.context.close();
    }
  });

  test("The focus ring contrasts at least 3:1 with what is behind it: on the page, in the top bar and in a dialog", async () => {
    await page.goto(t.runner.url + "/");
    await rowOf(rotation.name).waitFor();
    /** The ring's colour and the first opaque background behind the element (the ring is drawn outside it). */
    const ring = (l: Locator) =>
      l.evaluate((el) => {
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
        const lum = ([r, g, bl]: number[]) => {
          const ch = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(bl);
        };
        let behind = el.parentElement;
        while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] === 0 || getComputedStyle(behind).backgroundColor === "transparent")) behind = behind.parentElement;
        const style = getComputedStyle(el);
        const [a, z] = [lum(rgb(style.outlineColor)), lum(rgb(getComputedStyle(behind ?? document.documentElement).backgroundColor))];
        return { visible: el.matches(":focus-visible") && style.outlineStyle === "solid" && parseFloat(style.outlineWidth) >= 2, contrast: (Math.max(a, z) + 0.05) / (Math.min(a, z) + 0.05) };
      });
    const byKeyboard = async (l: Locator) => {
      await page.keyboard.press("Shift"); // keyboard modality: script focus then shows the ring, as Tab would
      await l.focus();
      return ring(l);
    };
    const results = {
      page: await byKeyboard(page.getByRole("button", { name: "Add Secret Rotation" })),
      topBar: await byKeyboard(page.getByRole("button", { name: "Sign out" })),
      dialog: await (async () => {
        await rowOf(rotation.name).getByRole("button", { name: `Rotate Secrets of ${rotation.name}` }).click();
        const d = page.getByRole("dialog", { name: "Rotate Secrets" });
        const r = await byKeyboard(d.getByRole("button", { name: "Cancel" }));
        await page.keyboard.press("Escape");
        return r;
      })(),
    };
    for (const r of Object.values(results)) expect(r).toEqual({ visible: true, contrast: expect.any(Number) });
    for (const [where, r] of Object.entries(results)) expect({ where, ok: r.contrast >= 3, contrast: r.contrast.toFixed(2) }).toMatchObject({ where, ok: true });
  });

  test("A page that fails to render says so with a way back instead of a blank console; an address that is no rotation id says the rotation is not found", async () => {
    await page.goto(t.runner.url + "/rotations/%E0%A4%A"); // not decodable: the page throws while rendering
    await page.getByRole("heading", { name: "This page could not be shown" }).waitFor();
    await page.getByRole("alert").filter({ hasText: "URI malformed" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).waitFor(); // the layout stays
    await check("a page that failed to render");
    await page.getByRole("link", { name: "Back to Secret Rotations" }).click();
    await rowOf(rotation.name).waitFor();

    await page.goto(t.runner.url + "/rotations/not-a-uuid");
    await page.getByRole("heading", { name: "Rotation not found", level: 1 }).waitFor();
    await page.getByRole("link", { name: "← Secret Rotations" }).click();
    await rowOf(rotation.name).waitFor();
  });

  test("The Secrets page says Loading… while it loads; a confirmation stays on the page it was made on", async () => {
    await page.goto(t.runner.url + "/app-connections");
    await rowOf("a11y-db").getByRole("button", { name: "Edit a11y-db" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Connection" });
    await edit.getByLabel("Description").fill("Edited for the notice");
    await edit.getByRole("button", { name: "Connect to Database" }).click();
    const notice = page.locator(".notice");
    await notice.getByText("Saved connection a11y-db").waitFor();

    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    await page.route("**/api/v3/secrets/raw**", async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("status").filter({ hasText: "Loading…" }).waitFor();
    await expect(notice.innerText()).resolves.toBe(""); // the connection's confirmation did not follow
    release();
    await rowOf("POSTGRES_DB_PASSWORD").waitFor();
    await page.unroute("**/api/v3/secrets/raw**");
    await page.getByRole("link", { name: "App Connections" }).click();
    await rowOf("a11y-db").waitFor();
    await expect(notice.innerText()).resolves.toBe("");
  });

  test("A rotation's history is paged, 20 attempts a page, over the newest 100 the API returns (and says so)", async () => {
    await t.runner.pool.query(
      `INSERT INTO rotation_history (rotation_id, attempt, trigger, result, runner_id, started_at, finished_at, duration_ms, message)
       SELECT $1, 1, 'schedule', 'success', 'test', now() - g * interval '1 hour', now() - g * interval '1 hour', 100, 'old attempt ' || g
       FROM generate_series(1, 110) g ORDER BY g DESC`,
      [second.id],
    );
    await page.goto(`${t.runner.url}/rotations/${second.id}`);
    const history = page.getByRole("region", { name: "History" });
    await history.getByRole("status").filter({ hasText: "Showing 1–20 of 100 attempts" }).waitFor();
    await history.getByText("The newest 100 attempts are shown").waitFor();
    await expect(history.getByRole("row").count()).resolves.toBe(21);
    const firstMessage = () => history.getByRole("row").nth(1).getByRole("cell").last().innerText();
    const onPage1 = await firstMessage();
    expect(onPage1).toMatch(/^old attempt \d+$/);
    await history.getByRole("button", { name: "Next page" }).click();
    await history.getByRole("status").filter({ hasText: "Showing 21–40 of 100 attempts" }).waitFor();
    await expect(history.getByRole("row").count()).resolves.toBe(21);
    await expect(firstMessage()).resolves.not.toBe(onPage1);
    await history.getByRole("button", { name: "Previous page" }).click();
    await history.getByText("Page 1 of 5").waitFor();
    await check("rotation page with a paged history");
  });
});
