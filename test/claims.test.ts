import { ClaimQueue } from "../runner/rotation/claims";
import type { RotationRecord } from "../runner/store/rows";

const row = (i: number) => ({ id: `r${i}` }) as RotationRecord;

/** A store of `due` rotations that answers claims in order and records each claim's limit. */
function fakeStore(due: number) {
  let next = 0;
  const limits: number[] = [];
  const claim = async (limit: number) => {
    limits.push(limit);
    await new Promise((res) => setTimeout(res, 1));
    const rows = Array.from({ length: Math.min(limit, due - next) }, (_, k) => row(next + k));
    next += rows.length;
    return rows;
  };
  return { claim, limits };
}

describe("Claiming due rotations in batches", () => {
  test("When 20 rotations are due and 8 workers drain them, then 4 claim statements take them (8, 8, 4, then none) and each is handed out exactly once", async () => {
    const store = fakeStore(20);
    const q = new ClaimQueue(store.claim, 8);
    const seen: string[] = [];
    const worker = async () => {
      for (let r = await q.next(() => false); r; r = await q.next(() => false)) {
        seen.push(r.id);
        await new Promise((res) => setTimeout(res, Math.random() * 3));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(store.limits).toEqual([8, 8, 8, 8]);
    expect([...seen].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
  });

  test("When the pass is halted, then no worker takes more and the claimed rotations not handed out are returned for their leases to be given back", async () => {
    const store = fakeStore(20);
    const q = new ClaimQueue(store.claim, 8);
    let halted = false;
    const first = await q.next(() => halted);
    expect(first?.id).toBe("r0");
    halted = true;
    expect(await q.next(() => halted)).toBeUndefined();
    expect(q.unstarted().map((r) => r.id)).toEqual(["r1", "r2", "r3", "r4", "r5", "r6", "r7"]);
    expect(q.unstarted()).toEqual([]);
  });

  test("When a claim fails (the store is down), then every waiting worker sees the failure", async () => {
    const q = new ClaimQueue(() => Promise.reject(new Error("store down")), 8);
    await expect(Promise.all([q.next(() => false), q.next(() => false)])).rejects.toThrow("store down");
  });
});
