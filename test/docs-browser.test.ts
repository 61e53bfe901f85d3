/** GET /docs in a real Chromium: the API reference renders every operation inside the runner's CSP, from local files. */
import { launchBrowser, type ConsoleBrowser } from "./helpers/browser";
import { startTestRunner, type TestRunner } from "./helpers/runner";

describe("The API reference in a browser", () => {
  let t: TestRunner;
  let b: ConsoleBrowser;

  beforeAll(async () => {
    t = await startTestRunner({ logLevel: "warn" });
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await t?.stop();
  });

  test("When /docs is opened, then Swagger UI shows one block per documented operation, loads nothing from another origin, and the CSP refuses nothing", async () => {
    const doc = (await t.api("GET", "/openapi.json", undefined, { token: null })).body as { paths: Record<string, Record<string, unknown>> };
    const methods = new Set(["get", "post", "put", "patch", "delete", "head", "options"]);
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((m) => methods.has(m)).length, 0);
    const { context, page, problems } = await b.open("desktop");
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(t.runner.url) && !r.url().startsWith("data:")) foreign.push(r.url());
    });
    try {
      await page.goto(`${t.runner.url}/docs`);
      await page.locator(".opblock").first().waitFor({ timeout: 20_000 });
      await page.waitForFunction((n) => document.querySelectorAll(".opblock").length >= n, operations, { timeout: 20_000 });
      expect(await page.locator(".opblock").count()).toBe(operations);
      expect(await page.locator(".info .title").innerText()).toMatch(/pgrotate/i);
      await b.screenshot(page, "api-reference", "desktop");
      expect(problems.errors).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
