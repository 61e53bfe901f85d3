/** How the keyring's counts and a rekey read in human output (`pgrotate status`, `pgrotate rekey`). */
import type { ApiKeys } from "../../provider/client";
import type { Output } from "./output";

const LABELS: Record<ApiKeys["keys"][number]["status"], string> = {
  newest: " (newest)",
  older: "",
  missing: " (not in this runner's keyring)",
  v1: " (sealed before key ids)",
};

/** "3f9a1c2b 120 (newest), 9f00aa11 37": the values each key id seals, on one line; what a rekey would re-seal stands out. */
export function keyCountsLine(out: Output, k: ApiKeys): string {
  return k.keys
    .map((key) => {
      const text = `${key.keyId} ${key.sealedValues}${LABELS[key.status]}`;
      return key.status === "newest" || key.sealedValues === 0 ? text : out.style(text, "warning");
    })
    .join(", ");
}

export function keysBlock(out: Output, k: ApiKeys): void {
  const pairs: Array<[string, string]> = [
    ["Newest key", k.newestKeyId],
    ["Sealed values", keyCountsLine(out, k)],
    ["Not on newest", String(k.notOnNewest)],
  ];
  const r = k.rekey;
  if (r) {
    pairs.push(["Rekey", out.style(r.status, r.status === "finished" ? "info" : r.status === "running" ? "neutral" : "danger")], ["Re-sealed", String(r.resealed)]);
    if (r.unopenable) pairs.push(["Did not open", out.style(String(r.unopenable), "danger")]);
    if (r.message) pairs.push(["Message", r.message]);
  }
  out.fields(pairs);
}
