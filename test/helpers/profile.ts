/**
 * Test profiles: `npm test` runs the quick profile; `npm run test:soak` (PGROTATE_SOAK=1) the long one.
 * Reliability suites report their figures with recordFigure(); the run prints them in one table at the end.
 */
import fs from "node:fs";

export const SOAK = process.env.PGROTATE_SOAK === "1";

/** `quick` in npm test, `soak` in npm run test:soak. */
export const scale = <T>(quick: T, soak: T): T => (SOAK ? soak : quick);

export function recordFigure(suite: string, figure: string, value: number | string, target?: string): void {
  const file = process.env.PGROTATE_FIGURES_FILE;
  if (!file) return;
  fs.appendFileSync(file, JSON.stringify({ suite, figure, value, target: target ?? "", profile: SOAK ? "soak" : "quick" }) + "\n");
}
