/** Prometheus metrics (prom-client), one registry per runner. Labels never carry a secret or a name. */
import type { Pool } from "pg";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Sealer } from "./crypto/seal";
import type { RotationEvent } from "./rotation/engine";
import { countsByKey } from "./services/keys";
import { heldCounts, rotationCounts } from "./store/rotations";
import { type SealedCount, sealedCounts } from "./store/sealed";
import { packageVersion } from "./version";

const SEALED_COUNTS_MAX_AGE_MS = 30_000;

export interface Metrics {
  registry: Registry;
  onRotation(e: RotationEvent): void;
  onTick(info: { lagSeconds: number; claimed: number; durationMs: number }): void;
  /** A scheduled rotation started its work this long after it was due (due → start). */
  onScheduledStart(this: void, lateMs: number): void;
  /** A secret read by name was answered: from memory before Express, or through the full API, this long after it arrived. */
  onSecretRead(this: void, path: "memory" | "api", ms: number): void;
}

export function createMetrics(deps: {
  pool: Pool;
  /** The keyring (pgrotate_sealed_values labels each key id, and which one seals). */
  sealer: Sealer;
  clock: () => Date;
  overdueAfterMs: number;
  notifications: () => { live: boolean };
  /** The end of validity of the certificate the runner serves HTTPS with (given only when it serves HTTPS). */
  tlsExpiresAt?: () => Date | undefined;
}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "pgrotate_process_" });
  // Which release each runner is: a rolling upgrade is over when no runner reports the old one.
  new Gauge({ name: "pgrotate_build_info", help: "Always 1; version is this runner's release", labelNames: ["version"] as const, registers: [registry] }).set({ version: packageVersion() }, 1);
  const rotations = new Counter({
    name: "pgrotate_rotations_total",
    help: "Rotation attempts by result and trigger",
    labelNames: ["result", "trigger"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "pgrotate_rotation_duration_seconds",
    help: "Duration of a rotation attempt (intent to commit)",
    labelNames: ["result"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const startDelay = new Histogram({
    name: "pgrotate_rotation_start_delay_seconds",
    help: "How long after its due time (or its retry's) a scheduled rotation started its work: the scheduler's lateness as a fleet due at once feels it",
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  // Counted in plain numbers and handed to the counter when it is scraped: the memory path counts every read,
  // and even a bound child's inc() cost measurable CPU per request there.
  const reads = { memory: 0, api: 0 };
  // Timed on every read: a bound child's observe() costs about 0.2 µs, under 1 % of a memory-path read's CPU.
  const readDuration = new Histogram({
    name: "pgrotate_secret_read_duration_seconds",
    help: "Time from a secret read's arrival to its answer, by how it was served (memory: before Express; api: the full API, possibly a store read)",
    labelNames: ["path"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const readTimers = { memory: readDuration.labels({ path: "memory" }), api: readDuration.labels({ path: "api" }) };
  new Counter({
    name: "pgrotate_secret_reads_total",
    help: "Secrets read by name, by how they were served: memory (cached token and folder, before the API stack) or api",
    labelNames: ["path"] as const,
    registers: [registry],
    collect() {
      for (const path of ["memory", "api"] as const) {
        this.labels({ path }).inc(reads[path]);
        reads[path] = 0;
      }
    },
  });
  new Gauge({
    name: "pgrotate_store_listener_up",
    help: "1 while the store's change notifications arrive; 0 while the listener is down (caches bypassed, the scheduler on its tick)",
    registers: [registry],
    collect() {
      this.set(deps.notifications().live ? 1 : 0);
    },
  });
  const tlsExpiresAt = deps.tlsExpiresAt;
  if (tlsExpiresAt) {
    new Gauge({
      name: "pgrotate_tls_certificate_expiry_timestamp_seconds",
      help: "When the certificate the runner serves HTTPS with stops being valid (unix seconds); only on a runner serving HTTPS",
      registers: [registry],
      collect() {
        const at = tlsExpiresAt();
        if (at) this.set(at.getTime() / 1000);
      },
    });
  }
  // Counting reads every sealed column (about 0.4 s of store time at a million rotations): at most every 30 s.
  let sealed: { at: number; counts: Promise<SealedCount[] | undefined> } | undefined;
  new Gauge({
    name: "pgrotate_sealed_values",
    help: 'Stored sealed values per encryption key id (v1: sealed before key ids), counted at most every 30 s; newest="false" is what a rekey would re-seal',
    labelNames: ["key_id", "newest"] as const,
    registers: [registry],
    async collect() {
      if (!sealed || Date.now() - sealed.at > SEALED_COUNTS_MAX_AGE_MS) {
        // A failed count is not kept: the next scrape tries again.
        const counts = sealedCounts(deps.pool, deps.sealer.keyIds).catch(() => void (sealed = undefined));
        sealed = { at: Date.now(), counts };
      }
      const counts = await sealed.counts;
      this.reset();
      for (const k of counts ? countsByKey(deps.sealer, counts) : []) this.set({ key_id: k.keyId, newest: String(k.status === "newest") }, k.sealedValues);
    },
  });
  const tickLag = new Gauge({ name: "pgrotate_scheduler_tick_lag_seconds", help: "How late the last scheduler tick started", registers: [registry] });
  const tickDuration = new Gauge({ name: "pgrotate_scheduler_tick_duration_seconds", help: "Duration of the last scheduler tick", registers: [registry] });
  // The same counts /readyz reports, one query per scrape shared by the three gauges.
  let scrape: { at: number; counts: Promise<Awaited<ReturnType<typeof rotationCounts>> | undefined> } | undefined;
  const counts = () => {
    const now = Date.now();
    if (!scrape || now - scrape.at > 250) {
      scrape = { at: now, counts: rotationCounts(deps.pool, deps.clock(), deps.overdueAfterMs).catch(() => undefined) };
    }
    return scrape.counts;
  };
  const fromCounts = (name: string, help: string, pick: "overdue" | "failing" | "intents" | "drifted") =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set((await counts())?.[pick] ?? NaN);
      },
    });
  fromCounts("pgrotate_rotations_overdue", "Enabled rotations past their due time by more than the overdue threshold", "overdue");
  fromCounts("pgrotate_rotations_failing", "Rotations whose last attempts all failed (rotationStatus failed)", "failing");
  fromCounts("pgrotate_rotations_drifted", "Rotations whose stored password no longer logs in and was not repaired (status drifted)", "drifted");
  const drift = new Counter({
    name: "pgrotate_drift_detected_total",
    help: "Drift checks that found a stored password that no longer logs in (repaired or not)",
    registers: [registry],
  });
  // Retirement hold: rotations held now, the oldest hold's age (one query per scrape for both), and holds started.
  let heldScrape: { at: number; counts: Promise<Awaited<ReturnType<typeof heldCounts>> | undefined> } | undefined;
  const held = () => {
    const now = Date.now();
    if (!heldScrape || now - heldScrape.at > 250) heldScrape = { at: now, counts: heldCounts(deps.pool, deps.clock()).catch(() => undefined) };
    return heldScrape.counts;
  };
  new Gauge({
    name: "pgrotate_rotations_held",
    help: "Scheduled rotations held because someone still uses the user they would change (status held)",
    registers: [registry],
    async collect() {
      this.set((await held())?.held ?? NaN);
    },
  });
  new Gauge({
    name: "pgrotate_rotation_held_longest_seconds",
    help: "How long the oldest current hold has lasted (0 when none is held)",
    registers: [registry],
    async collect() {
      this.set((await held())?.longestSeconds ?? NaN);
    },
  });
  const holds = new Counter({
    name: "pgrotate_rotation_holds_total",
    help: "Holds started: a scheduled rotation found someone still on the user it would change",
    registers: [registry],
  });
  fromCounts("pgrotate_rotation_intents_pending", "Intents written but not yet committed (in flight, failed and waiting for a retry, or left by a crash)", "intents");
  return {
    registry,
    onSecretRead(path, ms) {
      reads[path]++;
      readTimers[path].observe(ms / 1000);
    },
    onScheduledStart: (lateMs) => startDelay.observe(Math.max(0, lateMs) / 1000),
    onRotation(e) {
      if (e.type === "rotation.drifted") return drift.inc();
      if (e.type === "rotation.held") return holds.inc();
      const result = e.type === "rotation.succeeded" ? "success" : "failed";
      rotations.inc({ result, trigger: e.trigger });
      duration.observe({ result }, e.durationMs / 1000);
    },
    onTick(info) {
      tickLag.set(info.lagSeconds);
      tickDuration.set(info.durationMs / 1000);
    },
  };
}
