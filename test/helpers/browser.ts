/**
 * A real Chromium for the console's tests: the build shipped inside npm @sparticuz/chromium (unpacked to the
 * temp folder on first use), driven by playwright-core. PGROTATE_TEST_CHROMIUM=/path/to/chrome uses another one
 * (for machines where that build does not run). One browser per test file; each test gets a fresh context.
 */
import fs from "node:fs";
import path from "node:path";
import chromiumPackage from "@sparticuz/chromium";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Screenshots land here (git-ignored). */
export const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts/console");

export const SIZES = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 390, height: 844 },
} as const;
export type Size = keyof typeof SIZES;

/**
 * The package's flags, minus: --single-process (the browser died part-way through longer runs with it),
 * --disable-web-security and --allow-running-insecure-content (the tests check the same-origin rules and the CSP,
 * which those would switch off).
 */
const DROPPED = new Set(["--single-process", "--disable-web-security", "--allow-running-insecure-content"]);
const EXTRA = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

async function executable(): Promise<{ path: string; args: string[] }> {
  const override = process.env.PGROTATE_TEST_CHROMIUM;
  if (override) return { path: override, args: ["--no-sandbox", ...EXTRA] };
  // CommonJS build: the class itself (the ESM build exports it as default).
  const pkg = (chromiumPackage as unknown as { default?: typeof chromiumPackage }).default ?? chromiumPackage;
  return { path: await pkg.executablePath(), args: [...pkg.args.filter((a) => !DROPPED.has(a)), ...EXTRA] };
}

export interface PageProblems {
  /** Console errors (CSP violations show here) and uncaught page errors. */
  errors: string[];
}

/**
 * The errors a test did not expect: all of them but the browser's "Failed to load resource" lines for the answer
 * statuses the test provokes on purpose (`allowed`), and any other lines it names (`alsoAllowed`).
 */
export function unexpected(p: PageProblems, allowed: number[] = [401, 403, 404, 409, 422, 502], alsoAllowed?: RegExp): string[] {
  const loadFailure = new RegExp(`Failed to load resource: the server responded with a status of (${allowed.join("|")})`);
  return p.errors.filter((e) => !loadFailure.test(e) && !alsoAllowed?.test(e));
}

export interface ConsoleBrowser {
  browser: Browser;
  /** A fresh context (own cookies) and page at the given size; its console errors are collected. */
  open(size?: Size): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }>;
  /** Saves a screenshot under test-artifacts/console/<name>-<size>.png. */
  screenshot(page: Page, name: string, size: Size): Promise<void>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<ConsoleBrowser> {
  const exe = await executable();
  const browser = await chromium.launch({ executablePath: exe.path, args: exe.args, headless: true });
  return {
    browser,
    async open(size = "desktop") {
      const context = await browser.newContext({ viewport: SIZES[size], locale: "en-US", timezoneId: "Europe/Berlin" });
      const page = await context.newPage();
      const problems: PageProblems = { errors: [] };
      page.on("console", (m) => {
        if (m.type() === "error") problems.errors.push(m.text());
      });
      page.on("pageerror", (e) => problems.errors.push(e.message));
      return { context, page, problems };
    },
    async screenshot(page, name, size) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.setViewportSize(SIZES[size]);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${size}.png`), fullPage: false });
    },
    close: () => browser.close(),
  };
}

/** Signs in on the sign-in page with a token (the Token tab). */
export async function signInWithToken(page: Page, baseUrl: string, token: string, at = "/"): Promise<void> {
  await page.goto(baseUrl + at);
  await page.getByLabel("Token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}
