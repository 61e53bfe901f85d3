/**
 * The Secret Rotations list at scale in a real Chromium against a real runner and store: the console asks the
 * runner for one page (paged, filtered and sorted there, never the whole list), keeps the page's state in the URL,
 * refreshes with If-None-Match (an unchanged page is a 304), and the Secrets page asks only for its folder's rotations.
 */
import type { BrowserContext, Page, Response } from "playwright-core";
import { type ConsoleBrowser, launchBrowser, type PageProblems, signInWithToken } from "./helpers/browser";
import { insertRotations } from "./helpers/bulk-rotations";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

/** The rotation list's requests a page made (the list URL itself, not one rotation's). */
function listResponses(page: Page): Response[] {
  const seen: Response[] = [];
  page.on("response", (r) => {
    if (new URL(r.url()).pathname === ROTATIONS && r.request().method() === "GET") seen.push(r);
  });
  return seen;
}
const paramsOf = (r: Response) => new URL(r.url()).searchParams;
/** The first of `seen` (collected since before it could come) that `ok` takes, waiting up to 15 s for it. */
async function arrived(seen: Response[], ok: (r: Response) => boolean): Promise<Response> {
  const end = Date.now() + 15_000;
  for (;;) {
    const found = seen.find(ok);
    if (found) return found;
    if (Date.now() > end) throw new Error(`no such response among ${seen.map((r) => r.status()).join(", ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const firstRowName = (page: Page) => page.locator("tbody tr").first().getByRole("link").first().innerText();

describe("Console list at scale: server-side pages, filters and sort, state in the URL, 304 refreshes", () => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  let b: ConsoleBrowser;
  const contexts: Array<{ context: BrowserContext; problems: PageProblems }> = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "clist" });
    t = await startTestRunner();
    connectionId = (await t.api("POST", CONNECTIONS, target.connectionBody("fleet-db"))).body.appConnection.id as string;
    const insert = (o: { project: string; prefix: string; from: number; to: number; environment?: string; secretPath?: string }) =>
      insertRotations(t.runner.pool, t.runner.sealer, { connectionId, ...o });
    await insert({ project: "fleet", prefix: "fleet", from: 0, to: 300 });
    // 30 failed: the names ending in 7.
    await t.runner.pool.query("UPDATE rotations SET rotation_status = 'failed' WHERE project_id = 'fleet' AND right(name, 1) = '7'");
    // shop: 3 rotations in prod:/db (the Secrets page's folder) and 40 elsewhere.
    await insert({ project: "shop", prefix: "shop-db", from: 0, to: 3, environment: "prod", secretPath: "/db" });
    await insert({ project: "shop", prefix: "shop-other", from: 0, to: 40 });
    b = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await target?.drop();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) {
      // 401: the session check and the list asked for beside it before signing in.
      expect(c.problems.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
      await c.context.close();
    }
  });

  async function open() {
    const opened = await b.open("desktop");
    opened.page.setDefaultTimeout(15_000);
    contexts.push(opened);
    return opened;
  }

  test("300 rotations: the console asks for one page of 50 at a time, shows 1–50 of 300, and Next shows 51–100", async () => {
    const { page } = await open();
    const list = listResponses(page);
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=fleet");
    await page.getByText("Showing 1–50 of 300 rotations").waitFor();
    await expect(page.locator("tbody tr").count()).resolves.toBe(50);
    expect(await firstRowName(page)).toBe("fleet-0"); // by name, byte order: fleet-0, fleet-1, fleet-10, …
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Showing 51–100 of 300 rotations").waitFor();
    await expect(page.locator("tbody tr").count()).resolves.toBe(50);
    expect(new URL(page.url()).searchParams.get("page")).toBe("2");
    // Every list request was one page: never the whole list.
    expect(list.length).toBeGreaterThanOrEqual(2);
    for (const r of list) expect([paramsOf(r).get("limit"), paramsOf(r).get("projectId")]).toEqual(["50", "fleet"]);
    expect(list.map((r) => paramsOf(r).get("offset"))).toEqual(expect.arrayContaining(["0", "50"]));
  });

  test("Search, a status filter and sort by name descending are done by the runner, and reload and Back keep them", async () => {
    const { page } = await open();
    const list = listResponses(page);
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=fleet");
    await page.getByText("Showing 1–50 of 300 rotations").waitFor();
    await page.getByLabel("Search by name").fill("fleet-29");
    await page.getByText("Showing 1–11 of 11 rotations").waitFor(); // fleet-29 and fleet-290 … fleet-299
    expect(list.some((r) => paramsOf(r).get("search") === "fleet-29")).toBe(true);
    await page.getByLabel("Search by name").fill("");
    await page.getByText("Showing 1–50 of 300 rotations").waitFor();
    await page.getByLabel("Status").selectOption({ label: "Failed" });
    await page.getByText("Showing 1–30 of 30 rotations").waitFor();
    await page.getByLabel("Sort by").selectOption({ label: "Name (Z–A)" });
    await page.getByText("Showing 1–30 of 30 rotations").waitFor();
    await page.waitForFunction(() => document.querySelector("tbody tr a")?.textContent === "fleet-97");
    const last = list[list.length - 1];
    expect([paramsOf(last).get("status"), paramsOf(last).get("sort")]).toEqual(["failed", "-name"]);
    for (const r of list) expect(paramsOf(r).get("limit")).toBe("50");
    expect(new URL(page.url()).search).toBe("?project=fleet&status=failed&sort=-name");

    await page.reload();
    await page.getByText("Showing 1–30 of 30 rotations").waitFor();
    expect(await firstRowName(page)).toBe("fleet-97");
    await expect(page.getByLabel("Status").inputValue()).resolves.toBe("failed");
    await expect(page.getByLabel("Sort by").inputValue()).resolves.toBe("-name");

    // A rotation's page and Back: the same list, filtered and sorted.
    await page.getByRole("link", { name: "fleet-97", exact: true }).click();
    await page.getByRole("heading", { name: "fleet-97" }).waitFor();
    await page.goBack();
    await page.getByText("Showing 1–30 of 30 rotations").waitFor();
    expect(await firstRowName(page)).toBe("fleet-97");
  });

  test("When the list is filtered to one environment, then the Environment field still suggests every environment of the project, not only those on screen, and one a new rotation brings as soon as its event arrives", async () => {
    const { page } = await open();
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=shop&environment=prod");
    await page.getByText("Showing 1–3 of 3 rotations").waitFor();
    const suggested = () => page.locator("datalist#rotation-envs option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    await page.waitForFunction(() => document.querySelectorAll("datalist#rotation-envs option").length > 1);
    expect(await suggested()).toEqual(["dev", "prod"]);
    await page.getByText("Live", { exact: true }).waitFor();
    await insertRotations(t.runner.pool, t.runner.sealer, { connectionId, project: "shop", prefix: "shop-staging", from: 0, to: 1, environment: "staging" });
    await page.waitForFunction(() => [...document.querySelectorAll("datalist#rotation-envs option")].some((o) => (o as HTMLOptionElement).value === "staging"), undefined, { timeout: 5000 });
    expect(await suggested()).toEqual(["dev", "prod", "staging"]);
    await page.getByLabel("Environment").fill("dev");
    await page.getByText("Showing 1–40 of 40 rotations").waitFor();
  });

  test("A refresh with nothing changed is a 304 for the list page and for a rotation's page, and the rows stay", async () => {
    const { page } = await open();
    const list = listResponses(page);
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/?project=fleet&page=3");
    await page.getByText("Showing 101–150 of 300 rotations").waitFor();
    // The re-read once the live stream attaches (or a refresh): sent with the last ETag, answered 304 with no body.
    const notModified = await arrived(list, (r) => r.status() === 304);
    expect(notModified.request().headers()["if-none-match"]).toMatch(/^(W\/)?"[\w-]+"$/);
    await page.getByText("Showing 101–150 of 300 rotations").waitFor();
    await expect(page.locator("tbody tr").count()).resolves.toBe(50);
    expect(list.filter((r) => r.status() === 200)).toHaveLength(1);

    const id = (await t.api("GET", `${ROTATIONS}?projectId=fleet&search=fleet-150&limit=1`)).body.secretRotations[0].id as string;
    const reads: Response[] = [];
    page.on("response", (r) => void (new URL(r.url()).pathname === `${ROTATIONS}/${id}` && reads.push(r)));
    await page.goto(`${t.runner.url}/rotations/${id}`);
    await page.getByRole("heading", { name: "fleet-150" }).waitFor();
    const one = await arrived(reads, (r) => r.status() === 304);
    expect(one.request().headers()["if-none-match"]).toBeTruthy();
    await page.getByRole("heading", { name: "fleet-150" }).waitFor();
  });

  test("The Secrets page asks only for its folder's rotations (never the unfiltered list) and names the rotation of each secret", async () => {
    const { page } = await open();
    const list = listResponses(page);
    await signInWithToken(page, t.runner.url, t.runner.adminToken, "/secrets?project=shop&environment=prod&path=/db");
    for (const name of ["shop-db-0", "shop-db-1", "shop-db-2"]) await page.getByRole("link", { name, exact: true }).first().waitFor();
    await expect(page.locator("tbody tr").count()).resolves.toBe(6); // a username and a password each
    expect(list.length).toBeGreaterThanOrEqual(1);
    for (const r of list) expect([paramsOf(r).get("environment"), paramsOf(r).get("secretPath"), paramsOf(r).has("limit")]).toEqual(["prod", "/db", true]);
  });
});
