/**
 * Entry of `terraform-provider-pgrotate` (bin/terraform-provider-pgrotate runs it with node). Prints the
 * handshake line on stdout and nothing else; exits on GRPCController.Shutdown or a signal.
 * Terraform starts the provider 3-4 times per command, so start-up time matters: the TLS key is generated
 * on the thread pool while the gRPC modules load.
 */
import { generateServerKey } from "./tls";

async function main(): Promise<void> {
  const key = process.env.PLUGIN_CLIENT_CERT ? generateServerKey() : undefined;
  key?.catch(() => undefined); // awaited (and reported) in startPluginServer
  const { checkPluginEnvironment, startPluginServer } = await import("./server");
  const { stderrLogger } = await import("./log");
  const problem = checkPluginEnvironment(process.env);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  const log = stderrLogger();
  const server = await startPluginServer({ log, key });
  process.stdout.write(`${server.handshake}\n`);
  const exit = () => {
    void server.stop().finally(() => setTimeout(() => process.exit(0), 5));
  };
  process.on("SIGTERM", exit);
  process.on("SIGINT", () => undefined); // Terraform sends StopProvider on interrupt, then Shutdown.
  await server.done;
  exit();
}

main().catch((e: unknown) => {
  process.stderr.write(`terraform-provider-pgrotate: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
