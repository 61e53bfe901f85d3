/**
 * Optional webhook for rotation events, signed with HMAC-SHA256 over `<timestamp>.<body>`, delivered in the
 * background with retries (exponential backoff, full jitter). Events never carry a secret.
 */
import crypto from "node:crypto";
import type { Logger } from "../logger";
import type { RotationEvent } from "../rotation/engine";

export const SIGNATURE_HEADER = "x-pgrotate-signature";
export const TIMESTAMP_HEADER = "x-pgrotate-timestamp";
const MAX_QUEUE = 1000;
const ATTEMPTS = 5;
const TIMEOUT_MS = 5000;

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return "v1=" + crypto.createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** For receivers: constant-time check of the signature and of the timestamp's freshness. */
export function verifyWebhook(secret: string, headers: { timestamp?: string; signature?: string }, body: string, opts: { toleranceSeconds?: number; now?: Date } = {}): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const age = Math.abs((opts.now ?? new Date()).getTime() / 1000 - Number(timestamp));
  if (age > (opts.toleranceSeconds ?? 300)) return false;
  const want = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}

export interface WebhookSender {
  send(e: RotationEvent): void;
  /** Waits for in-flight deliveries (bounded by their retries) and stops. */
  stop(): Promise<void>;
}

export function createWebhookSender(opts: { url: string; secret: string; logger: Logger; retryBaseMs?: number }): WebhookSender {
  const base = opts.retryBaseMs ?? 1000;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function deliver(e: RotationEvent): Promise<void> {
    const body = JSON.stringify({ id: crypto.randomUUID(), ...e });
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      try {
        const res = await fetch(opts.url, {
          method: "POST",
          headers: { "content-type": "application/json", [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signWebhook(opts.secret, timestamp, body), "user-agent": "pgrotate-webhook/1" },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        if (res.ok) return;
        opts.logger.warn({ status: res.status, attempt, event: e.type }, "webhook answered an error status");
      } catch (err) {
        opts.logger.warn({ attempt, event: e.type, reason: (err as Error).message }, "webhook delivery failed");
      }
      if (stopped || attempt === ATTEMPTS) break;
      await sleep(Math.random() * base * 2 ** (attempt - 1));
    }
    opts.logger.error({ event: e.type, rotationId: e.rotationId }, "webhook delivery gave up");
  }

  return {
    send(e) {
      if (stopped) return;
      if (inFlight.size >= MAX_QUEUE) {
        opts.logger.error({ event: e.type }, "webhook queue full; event dropped");
        return;
      }
      const p = deliver(e).finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async stop() {
      stopped = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}
