/** A webhook receiver on 127.0.0.1 that keeps every delivery (headers and body) for assertions. */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  deliveries: Delivery[];
  /** Resolves once at least `n` deliveries arrived (rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    async waitFor(n, ms = 10_000) {
      for (const end = Date.now() + ms; deliveries.length < n; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > end) throw new Error(`expected ${n} webhook deliveries within ${ms} ms, got ${deliveries.length}`);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
