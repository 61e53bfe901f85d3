/**
 * Live rotation updates in a real Chromium against two real runners on one store: the console follows the
 * rotation-status stream of the runner it was opened on, so a rotation rotated through the API of the other runner
 * shows its new state at once, while the console's own refresh waits for the slow fallback (60 s) instead of 5 s.
 */
import type { BrowserContext, Page } from "playwright-core";
import { type ConsoleBrowser, launchBrowser, type PageProblems, signInWithToken } from "./helpers/browser";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
/**
 * From the rotation's commit (the other runner's answer) to the console showing it: under the 5 s poll of a console
 * without the stream, and far under the 60 s fallback poll of a live one — so only the stream can have brought it.
 * Not tighter: the console suites share two cores with the rest of the run.
 */
const LIVE_WITHIN_MS = 4000;

/** Requests the page made for rotations (the list, one rotation, its history), counted as they start. */
function rotationReads(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on("request", (r) => {
    if (r.method() === "GET" && new URL(r.url()).pathname.startsWith(ROTATIONS)) seen.count++;
  });
  return seen;
}

describe("Console live updates: the rotation-status stream instead of the 5 s poll", () => {
  let a: TestRunner;
  let b: TestRunner;
  let target: Target;
  let rotation: { id: string; name: string };
  let browser: ConsoleBrowser;
  const contexts: Array<{ context: BrowserContext; problems: PageProblems; expected?: RegExp }> = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "clive" });
    a = await startTestRunner({ logLevel: "warn" });
    b = await startTestRunner({ storeOf: a, logLevel: "warn" });
    const connectionId = (await a.api("POST", "/api/v1/app-connections/postgres", target.connectionBody("live-db"))).body.appConnection.id as string;
    rotation = (await a.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "live-credentials", projectId: "live" }))).body.secretRotation;
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await b?.stop();
    await a?.stop();
    await target?.drop();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) {
      // 401: the session check and the list asked for beside it before signing in.
      // And what the test itself made happen.
      expect(c.problems.errors.filter((e) => !/status of 401/.test(e) && !c.expected?.test(e))).toEqual([]);
      await c.context.close();
    }
  });

  const rotateOnB = async () => {
    const res = await b.api("POST", `${ROTATIONS}/${rotation.id}/rotate-secrets?force=true`);
    expect(res.status).toBe(200);
    return res.body.secretRotation as { activeIndex: number };
  };

  test("When a rotation is rotated through the other runner's API, then the open list and the rotation's page show its new active user well within the 5 s poll, and while live nothing polls every 5 s", async () => {
    const opened = await browser.open("desktop");
    contexts.push(opened);
    const { page } = opened;
    page.setDefaultTimeout(15_000);
    await signInWithToken(page, a.runner.url, a.runner.adminToken, "/?project=live");
    await page.getByText("Live", { exact: true }).waitFor();
    await page.getByText("Showing 1 rotation", { exact: true }).waitFor();
    const row = page.getByRole("row").filter({ hasText: rotation.name });
    const before = (await a.api("GET", `${ROTATIONS}/${rotation.id}`)).body.secretRotation.activeIndex as number;
    await row.getByText(target.users[before], { exact: true }).waitFor();
    await browser.screenshot(page, "live", "desktop");

    // Live: the list is not read again by itself for longer than the 5 s poll.
    await page.waitForTimeout(500); // the read the stream's `ready` starts
    const reads = rotationReads(page);
    await page.waitForTimeout(5500);
    expect(reads.count).toBe(0);

    const rotated = await rotateOnB();
    await row.getByText(target.users[rotated.activeIndex], { exact: true }).waitFor({ timeout: LIVE_WITHIN_MS });
    expect(reads.count).toBeGreaterThan(0);

    await row.getByRole("link", { name: rotation.name }).click();
    await page.getByRole("heading", { name: rotation.name }).waitFor();
    const activeBadge = (user: string) => page.locator("dd").filter({ has: page.locator("code", { hasText: user }) }).getByText("active", { exact: true });
    await activeBadge(target.users[rotated.activeIndex]).waitFor();
    const again = await rotateOnB();
    await activeBadge(target.users[again.activeIndex]).waitFor({ timeout: LIVE_WITHIN_MS });
    await page.getByText("Live", { exact: true }).waitFor();
  });

  test("When the stream cannot be opened, then the top bar says Reconnecting… and the list reads itself every 5 s again, so a rotation still shows up", async () => {
    const opened = await browser.open("desktop");
    contexts.push({ ...opened, expected: /status of 503/ });
    const { page } = opened;
    page.setDefaultTimeout(15_000);
    await page.route("**/api/v1/events/rotations", (route) => route.fulfill({ status: 503, contentType: "application/json", body: "{}" }));
    await signInWithToken(page, a.runner.url, a.runner.adminToken, "/?project=live");
    await page.getByText("Reconnecting…", { exact: true }).waitFor();
    const row = page.getByRole("row").filter({ hasText: rotation.name });
    const current = (await a.api("GET", `${ROTATIONS}/${rotation.id}`)).body.secretRotation.activeIndex as number;
    await row.getByText(target.users[current], { exact: true }).waitFor();
    const reads = rotationReads(page);
    const rotated = await rotateOnB();
    await row.getByText(target.users[rotated.activeIndex], { exact: true }).waitFor({ timeout: 7000 });
    expect(reads.count).toBeGreaterThan(0);
    expect(await page.getByText("Live", { exact: true }).count()).toBe(0);
  });
});
