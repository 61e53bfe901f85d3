/**
 * Rotation windows and project freezes in the web console, in a real Chromium against a real runner and
 * PostgreSQL: the wizard's Rotation Window (checked with the runner's schema, on the Configuration step), the
 * rotation page's window and next opening, Freeze Project with its banner, and Force for a frozen project.
 */
import type { Page } from "playwright-core";
import { seriousViolations } from "./helpers/axe";
import { type ConsoleBrowser, type PageProblems, unexpected } from "./helpers/browser";
import { signedInConsole } from "./helpers/console-suite";
import type { TestRunner } from "./helpers/runner";
import type { Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Web console: rotation windows and project freezes", () => {
  const suite = signedInConsole({ prefix: "cwin", connectionName: "window-db" });
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

  test("When the wizard's Rotation Window is switched on, then a window that never opens or a backwards blackout is shown on its field, and the window created is on the rotation's page with its next opening", async () => {
    await page.getByRole("button", { name: "Add Secret Rotation" }).click();
    const w = page.getByRole("dialog", { name: "Add Secret Rotation" });
    await w.getByRole("button", { name: /PostgreSQL Credentials/ }).click();
    await w.getByLabel("PostgreSQL Connection").selectOption(connectionId);
    await w.getByRole("switch", { name: "Rotation Window" }).check();
    for (const day of ["Mon", "Tue", "Wed", "Thu", "Fri"]) await w.getByRole("checkbox", { name: day }).uncheck();
    await w.getByRole("button", { name: "Add Blackout" }).click();
    await w.getByLabel("Blackout 1 From").fill("2030-12-20");
    await w.getByLabel("Blackout 1 To").fill("2030-12-01");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("alert").filter({ hasText: "Window Days must name at least one day: a window without weekdays never opens" }).waitFor();
    await w.getByRole("alert").filter({ hasText: "a blackout's from must not be after its to" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await w.getByRole("checkbox", { name: "Sat" }).check();
    await w.getByLabel("Blackout 1 To").fill("2031-01-04");
    await w.getByLabel("Blackout 1 Reason").fill("year end");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Database Username 1").fill(target.users[0]);
    await w.getByLabel("Database Username 2").fill(target.users[1]);
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByRole("heading", { name: "Mappings" }).waitFor();
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByLabel("Name", { exact: true }).fill("windowed");
    await w.getByRole("button", { name: "Next" }).click();
    await w.getByText("Sat 22:00–05:00 (ends the next day) Europe/Berlin; blackouts 2030-12-20..2031-01-04 (year end)").waitFor();
    await w.getByRole("button", { name: "Create Secret Rotation" }).click();
    await w.waitFor({ state: "detached" });

    const list = (await t.api("GET", `${ROTATIONS}?projectId=default`)).body.secretRotations as Array<Record<string, any>>;
    const r = list.find((x) => x.name === "windowed")!;
    expect(r.rotationWindow).toEqual({ weekdays: ["sat"], startTime: "22:00", endTime: "05:00", blackouts: [{ from: "2030-12-20", to: "2031-01-04", reason: "year end" }] });
    await page.goto(`${t.runner.url}/rotations/${r.id}`);
    await page.getByRole("heading", { name: "windowed" }).waitFor();
    await page.getByText("Sat, 22:00–05:00 (next day) (Europe/Berlin)").waitFor();
    await page.getByText("2030-12-20 – 2031-01-04: year end").waitFor();
    await page.getByText("Window Opens", { exact: true }).waitFor();
    await b.screenshot(page, "rotation-window", "mobile"); // then back to the desktop size
    await b.screenshot(page, "rotation-window", "desktop");
  });

  test("When the project is frozen from the Secret Rotations header, then a Frozen banner names the reason, Rotate Secrets is held back with Force, and Unfreeze removes the banner", async () => {
    await page.goto(t.runner.url + "/");
    await page.getByRole("button", { name: "Freeze Project", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Freeze Project" });
    await dialog.getByRole("button", { name: "Freeze Project" }).click();
    await dialog.getByRole("alert").filter({ hasText: "reason must not be empty" }).waitFor();
    await dialog.getByLabel("Reason").fill("release week");
    await dialog.getByRole("button", { name: "Freeze Project" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: /Frozen: project default is frozen since .+ by admin: release week/ }).waitFor();
    expect((await t.api("GET", "/api/v1/projects/default/freeze")).body).toMatchObject({ frozen: true, frozenReason: "release week" });
    await b.screenshot(page, "project-frozen", "mobile"); // then back to the desktop size
    await b.screenshot(page, "project-frozen", "desktop");
    expect(await seriousViolations(page)).toEqual([]);

    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "windowed", exact: true }) });
    await row.getByRole("button", { name: "Rotate Secrets" }).click();
    const rotate = page.getByRole("dialog", { name: "Rotate Secrets" });
    await rotate.getByRole("button", { name: "Rotate Secrets" }).click();
    await rotate.getByText(/Rotation is held back\. Project default is frozen since .* \(release week\)/).waitFor();
    await rotate.getByRole("button", { name: "Force" }).click();
    await rotate.waitFor({ state: "detached" });
    await row.getByText(target.users[1], { exact: true }).waitFor();

    await page.getByRole("button", { name: "Unfreeze Project" }).click();
    await page.getByRole("button", { name: "Freeze Project", exact: true }).waitFor();
    expect(await page.getByText(/Frozen: project default/).count()).toBe(0);
    expect((await t.api("GET", "/api/v1/projects/default/freeze")).body.frozen).toBe(false);
  });

  test("When a poll of the freeze answered before Unfreeze arrives after it, then the project is still shown unfrozen", async () => {
    await t.api("PUT", "/api/v1/projects/default/freeze", { frozen: true, reason: "late poll" });
    await page.goto(t.runner.url + "/");
    await page.getByRole("button", { name: "Unfreeze Project" }).waitFor();
    const freezeUrl = `${t.runner.url}/api/v1/projects/default/freeze`;
    let readFrozen!: () => void;
    const polled = new Promise<void>((resolve) => (readFrozen = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let delivered: Promise<void> | undefined;
    await page.route(freezeUrl, async (route) => {
      if (route.request().method() !== "GET" || delivered) return route.continue();
      const response = await route.fetch(); // read while still frozen
      delivered = gate.then(() => route.fulfill({ response }));
      readFrozen();
    });
    await polled; // the console's next poll of the freeze (every 5 s)
    await page.getByRole("button", { name: "Unfreeze Project" }).click();
    await page.getByRole("button", { name: "Freeze Project", exact: true }).waitFor();
    expect((await t.api("GET", "/api/v1/projects/default/freeze")).body.frozen).toBe(false);
    const lateAnswer = page.waitForResponse((r) => r.url() === freezeUrl && r.request().method() === "GET");
    release();
    await delivered;
    await lateAnswer;
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300))); // the answer handled and rendered
    expect(await page.getByText(/Frozen: project default/).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Freeze Project", exact: true }).count()).toBe(1);
    await page.unroute(freezeUrl);
  });
});
