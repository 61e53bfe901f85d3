/**
 * Diagnostic for a latency miss (BENCH_TRACE=1): wraps pg's Client.connect and Client.query in this process
 * and sums wall time per statement kind, so a rotation's time can be split into store round trips,
 * target logins and the rest. Only used by the in-process runner of the latency benchmark.
 */
import { Client } from "pg";

interface Bucket { n: number; ms: number }
const buckets = new Map<string, Bucket>();
let on = false;

function kind(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  if (/^ALTER ROLE/i.test(t)) return "target: ALTER ROLE";
  if (/^SHOW password_encryption/i.test(t)) return "target: SHOW password_encryption";
  if (/^SELECT 1$/i.test(t)) return "target: SELECT 1 (login check)";
  if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(t)) return `store: ${t.split(" ")[0].toUpperCase()}`;
  const m = /^(INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|SELECT .*? FROM (\w+)|WITH)/i.exec(t);
  if (!m) return `other: ${t.slice(0, 40)}`;
  return `store: ${m[2] ? `SELECT … FROM ${m[2]}` : m[1]}`;
}

function add(k: string, ms: number): void {
  if (!on) return;
  const b = buckets.get(k) ?? { n: 0, ms: 0 };
  b.n++;
  b.ms += ms;
  buckets.set(k, b);
}

let installed = false;
export function installTrace(): void {
  if (installed) return;
  installed = true;
  const proto = Client.prototype as unknown as { query: (...a: unknown[]) => unknown; connect: (...a: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: Client, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : ((args[0] as { text?: string })?.text ?? "");
    const t0 = performance.now();
    const last = args.length - 1;
    if (typeof args[last] === "function") {
      const cb = args[last] as (...x: unknown[]) => unknown;
      args[last] = (...x: unknown[]) => {
        add(kind(text), performance.now() - t0);
        return cb(...x);
      };
      return query.apply(this, args);
    }
    const r = query.apply(this, args);
    if (r && typeof (r as Promise<unknown>).then === "function") {
      (r as Promise<unknown>).then(() => add(kind(text), performance.now() - t0), () => add(kind(text), performance.now() - t0));
    }
    return r;
  };
  const connect = proto.connect;
  proto.connect = function (this: Client & { user?: string; database?: string }, ...args: unknown[]) {
    const t0 = performance.now();
    const r = connect.apply(this, args);
    const label = `connect as ${this.user === "postgres" ? "store superuser (pool)" : this.user?.startsWith("bench_admin") ? "connection role" : "rotated user"}`;
    if (r && typeof (r as Promise<unknown>).then === "function") {
      (r as Promise<unknown>).then(() => add(label, performance.now() - t0), () => undefined);
    }
    return r;
  };
}

export function traceStart(): void {
  buckets.clear();
  on = true;
}

/** Per-rotation averages, longest first. */
export function traceReport(rotations: number): string {
  on = false;
  return [...buckets.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([k, b]) => `  ${(b.ms / rotations).toFixed(2).padStart(7)} ms  ${(b.n / rotations).toFixed(1).padStart(4)}×  ${k}`)
    .join("\n");
}
