/**
 * The dynamic providers exactly as Pulumi serializes them into every resource's `__provider` property.
 *
 * Pulumi serializes these objects *with their closures* and runs them later in its dynamic-provider plugin
 * host. So nothing live may be reachable from here: no client, no token, no imported module. Each method
 * only loads the implementation (`./runtime`, through the package `pgrotate/provider`) at run time and hands
 * it the settings that `configure` resolved from the stack config. The only captured values are the kind
 * (a string literal) and an empty settings object.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { ProviderSettings, PulumiRuntime, ResourceKind } from "./runtime";

type Props = Record<string, unknown>;
type RuntimeModule = { pulumiRuntime: PulumiRuntime };

/* eslint-disable @typescript-eslint/no-require-imports -- loaded with require() inside the plugin host on purpose: a
   serialized closure may capture no imported module (see above); the types come from type-only imports, which vanish */

/** Builds the provider object of one resource kind. Keep this function free of imports (see above). */
export function makeProvider(kind: ResourceKind): dynamic.ResourceProvider {
  const settings: ProviderSettings = {};

  /** The implementation, loaded inside the plugin host whose working directory is the Pulumi project. */
  const load = (): PulumiRuntime => {
    let firstError: unknown;
    try {
      // A project that installed pgrotate (npm install pgrotate / file:../..).
      return (require("pgrotate/provider") as RuntimeModule).pulumiRuntime;
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
      firstError = err;
    }
    // A project inside a pgrotate checkout (the root Pulumi.yaml): the package itself, found upwards.
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
      const manifest = path.join(dir, "package.json");
      if (fs.existsSync(manifest)) {
        let name: unknown;
        try {
          name = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name;
        } catch {
          name = undefined;
        }
        if (name === "pgrotate") return (require(path.join(dir, "dist", "provider", "index.js")) as RuntimeModule).pulumiRuntime;
      }
      if (path.dirname(dir) === dir) break;
    }
    throw new Error(
      `pgrotate: cannot load 'pgrotate/provider' from ${process.cwd()}: install it in the Pulumi project ` +
        `(npm install pgrotate) and build it (npm run build). ${(firstError as Error).message.split("\n")[0]}`,
    );
  };

  return {
    async configure(req) {
      try {
        settings.runnerUrl = req.config.get("pgrotate:runnerUrl");
        settings.token = req.config.get("pgrotate:token");
        settings.caFile = req.config.get("pgrotate:caFile");
      } catch {
        // No stack config was sent: the environment (PGROTATE_URL / PGROTATE_TOKEN) applies.
      }
    },
    check: (olds: Props, news: Props) => load().check(kind, olds, news),
    diff: (id: string, olds: Props, news: Props) => load().diff(kind, id, olds, news),
    create: (inputs: Props) => load().create(kind, settings, inputs),
    read: (id: string, props?: Props) => load().read(kind, settings, id, props ?? {}),
    update: (id: string, olds: Props, news: Props) => load().update(kind, settings, id, olds, news),
    delete: (id: string, props: Props) => load().delete(kind, settings, id, props),
  };
}
