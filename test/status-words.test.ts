/** The words a person reads for a moment (console, CLI): the near future is not "just now". */
import { relativeTime } from "../provider/status-words";

const NOW = new Date("2026-12-08T03:00:00Z");
const at = (ms: number) => new Date(NOW.getTime() + ms);

describe("relativeTime", () => {
  test("When a moment is less than a minute ahead (a held rotation's next check in 15 s), then it reads 'in under a minute', not 'just now'", () => {
    expect(relativeTime(at(15_000), NOW)).toBe("in under a minute");
    expect(relativeTime(at(59_999), NOW)).toBe("in under a minute");
  });

  test("When a moment is within the last minute (or this second), then it reads 'just now'", () => {
    expect(relativeTime(at(-59_999), NOW)).toBe("just now");
    expect(relativeTime(at(-1), NOW)).toBe("just now");
    expect(relativeTime(at(500), NOW)).toBe("just now");
  });

  test("When a moment is a minute or more away, then it reads as a distance ahead or ago", () => {
    expect(relativeTime(at(31 * 86_400_000), NOW)).toBe("in 31 days");
    expect(relativeTime(at(-3 * 3_600_000), NOW)).toBe("3 hours ago");
    expect(relativeTime(at(60_000), NOW)).toBe("in 1 minute");
  });
});
