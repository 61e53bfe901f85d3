/**
 * The set-up most console browser suites share: a fresh target database, a runner with one connection to it, and
 * a desktop page of a real Chromium signed in with the admin token. Registered as the describe block's first
 * beforeAll (its own run after, with everything here ready) and its afterAll (browser, runner, then the database).
 */
import type { Page } from "playwright-core";
import { type ConsoleBrowser, launchBrowser, type PageProblems, signInWithToken } from "./browser";
import { startTestRunner, type TestRunner } from "./runner";
import { createTarget, type Target } from "./target";

export interface SignedInConsole {
  t: TestRunner;
  target: Target;
  /** The id of the connection to `target`. */
  connectionId: string;
  b: ConsoleBrowser;
  page: Page;
  problems: PageProblems;
}

/** Call at the top of a describe block; the fields are set once its beforeAll hooks run. */
export function signedInConsole(o: { prefix: string; connectionName: string; defaultTimeoutMs?: number }): SignedInConsole {
  const c = {} as SignedInConsole;
  beforeAll(async () => {
    c.target = await createTarget({ prefix: o.prefix });
    c.t = await startTestRunner({ logLevel: "warn" });
    c.connectionId = (await c.t.api("POST", "/api/v1/app-connections/postgres", c.target.connectionBody(o.connectionName))).body.appConnection.id;
    c.b = await launchBrowser();
    ({ page: c.page, problems: c.problems } = await c.b.open("desktop"));
    c.page.setDefaultTimeout(o.defaultTimeoutMs ?? 10_000);
    await signInWithToken(c.page, c.t.runner.url, c.t.runner.adminToken);
  }, 120_000);
  afterAll(async () => {
    await c.b?.close();
    await c.t?.stop();
    await c.target?.drop();
  });
  return c;
}
