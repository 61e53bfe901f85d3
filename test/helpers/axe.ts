/**
 * axe-core in the console's pages: the engine's own script evaluated in the page (through the DevTools protocol,
 * so the console's CSP stays on), then `axe.run` over the whole document, open dialogs included.
 */
import fs from "node:fs";
import type { Page } from "playwright-core";

const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export interface AxeFinding {
  id: string;
  impact: string;
  targets: string[];
}

/** The serious and critical violations on the page as it is now (rule id, impact, the elements' selectors). */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  const all = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? "", targets: v.nodes.map((n) => n.target.map(String).join(" ")) }));
  });
  return all.filter((v) => v.impact === "serious" || v.impact === "critical");
}
