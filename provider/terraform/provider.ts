/**
 * The tfplugin6.Provider service: each RPC decodes its DynamicValues, calls the resource code and answers
 * with diagnostics instead of throwing. Holds the runner client made by ConfigureProvider.
 */
import { RunnerApiError, RunnerClient } from "../client";
import { fetchForCaFile } from "../trust";
import { type Diagnostic, error, hasErrors, runnerDiagnostics } from "./diagnostics";
import type { Logger } from "./log";
import { planResource } from "./plan";
import { credentialsDataSource, managedResources, type ManagedResource } from "./resources";
import { dataSourceSchemas, protoSchema, providerSchema, resourceSchemas } from "./schema";
import { type ObjectValue, type Value, conform, decodeMsgpack, encodeMsgpack, isObject, isUnknown, str } from "./values";

/** A tfplugin6 DynamicValue as proto-loader decodes it (bytes as Buffers). */
interface DynamicValue {
  msgpack?: Buffer;
  json?: Buffer;
}

/** The fields of the tfplugin6 requests this provider reads (each RPC sends its own subset). */
export interface Request {
  type_name?: string;
  config?: DynamicValue | null;
  prior_state?: DynamicValue | null;
  proposed_new_state?: DynamicValue | null;
  planned_state?: DynamicValue | null;
  current_state?: DynamicValue | null;
  raw_state?: { json?: Buffer } | null;
  private?: Buffer;
  prior_private?: Buffer;
  id?: string;
}

/** A response message: plain fields, encoded by proto-loader. */
export type Response = Record<string, unknown>;

const dyn = (v: Value) => ({ msgpack: encodeMsgpack(v) });
const fromDyn = (d: DynamicValue | null | undefined): Value => {
  if (!d) return null;
  if (d.msgpack && d.msgpack.length) return decodeMsgpack(d.msgpack);
  if (d.json && d.json.length) return JSON.parse(Buffer.from(d.json).toString("utf8")) as Value;
  return null;
};

function protoDiag(d: Diagnostic): Response {
  return {
    severity: d.severity,
    summary: d.summary,
    detail: d.detail,
    // A digit-only step is a list index (no attribute of this provider is named by digits).
    attribute: d.attribute ? { steps: d.attribute.map((step) => (/^\d+$/.test(step) ? { element_key_int: Number(step) } : { attribute_name: step })) } : null,
  };
}
const diags = (ds: Diagnostic[]) => ds.map(protoDiag);

export interface ProviderOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export function createProviderService(opts: ProviderOptions) {
  const { log } = opts;
  const env = opts.env ?? process.env;
  let client: RunnerClient | undefined;

  const needClient = (): RunnerClient => {
    if (!client) throw new RunnerApiError("The pgrotate provider is not configured (ConfigureProvider was not called)");
    return client;
  };
  const resource = (typeName: string): ManagedResource => {
    const r = managedResources[typeName];
    if (!r) throw new Error(`Unknown resource type ${typeName}`);
    return r;
  };
  const typeName = (req: Request): string => req.type_name ?? "";

  /** Wraps an RPC: logs its name (never its values) and turns an unexpected throw into a diagnostic. */
  function rpc(name: string, fn: (req: Request) => Response | Promise<Response>) {
    return (call: { request: Request }, callback: (err: Error | null, res?: Response) => void) => {
      const started = Date.now();
      Promise.resolve()
        .then(() => fn(call.request))
        .then((res) => {
          log.debug(`${[name, call.request.type_name].filter(Boolean).join(" ")} done in ${Date.now() - started} ms`);
          callback(null, res);
        })
        .catch((e: unknown) => {
          log.warn(`${[name, call.request.type_name].filter(Boolean).join(" ")} failed: ${e instanceof Error ? e.message : String(e)}`);
          callback(null, name === "StopProvider" ? { Error: String(e) } : { diagnostics: diags(runnerDiagnostics(e, name)) });
        });
    };
  }

  function configure(config: ObjectValue): Diagnostic[] {
    const ds: Diagnostic[] = [];
    if (isUnknown(config.runner_url) || isUnknown(config.token)) return ds;
    const url = str(config.runner_url) ?? env.PGROTATE_URL;
    const token = str(config.token) ?? env.PGROTATE_TOKEN;
    const caFile = str(config.ca_file) ?? env.PGROTATE_CA_FILE;
    if (!url) ds.push(error("No pgrotate runner URL", "Set runner_url in the provider block or the environment variable PGROTATE_URL.", config.runner_url === null ? undefined : ["runner_url"]));
    if (!token) ds.push(error("No pgrotate runner token", "Set token in the provider block or the environment variable PGROTATE_TOKEN."));
    if (hasErrors(ds)) return ds;
    try {
      client = new RunnerClient({ url: url!, token: token!, managedBy: "terraform", fetch: fetchForCaFile(caFile, str(config.ca_file) ? "ca_file" : "PGROTATE_CA_FILE") });
    } catch (e) {
      const at = /CA file/.test((e as Error).message) ? (str(config.ca_file) ? ["ca_file"] : undefined) : config.runner_url ? ["runner_url"] : undefined;
      return [error("Invalid pgrotate provider configuration", (e as Error).message, at)];
    }
    return ds;
  }

  function validateUrl(config: ObjectValue): Diagnostic[] {
    const url = config.runner_url;
    if (typeof url !== "string") return [];
    try {
      const u = new URL(url);
      if (u.protocol === "http:" || u.protocol === "https:") return [];
    } catch {
      /* falls through */
    }
    return [error("Invalid runner_url", "runner_url must be an http:// or https:// URL, e.g. http://127.0.0.1:8080.", ["runner_url"])];
  }

  return {
    GetMetadata: rpc("GetMetadata", () => ({
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
      resources: Object.keys(resourceSchemas).map((type_name) => ({ type_name })),
      data_sources: Object.keys(dataSourceSchemas).map((type_name) => ({ type_name })),
      diagnostics: [],
    })),

    GetProviderSchema: rpc("GetProviderSchema", () => ({
      provider: protoSchema(providerSchema),
      resource_schemas: Object.fromEntries(Object.entries(resourceSchemas).map(([k, s]) => [k, protoSchema(s)])),
      data_source_schemas: Object.fromEntries(Object.entries(dataSourceSchemas).map(([k, s]) => [k, protoSchema(s)])),
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
      diagnostics: [],
    })),

    ValidateProviderConfig: rpc("ValidateProviderConfig", (req) => {
      const config = conform(providerSchema.attributes, fromDyn(req.config));
      return { diagnostics: diags(validateUrl(config)) };
    }),

    ConfigureProvider: rpc("ConfigureProvider", async (req) => {
      const config = conform(providerSchema.attributes, fromDyn(req.config));
      const ds = [...validateUrl(config)];
      if (!hasErrors(ds)) ds.push(...configure(config));
      if (!hasErrors(ds) && client) {
        // Fail early, naming the URL, when the runner cannot be reached.
        try {
          await client.request("GET", "/healthz");
        } catch (e) {
          ds.push(error("Cannot reach the pgrotate runner", (e as Error).message, config.runner_url ? ["runner_url"] : undefined));
        }
      }
      return { diagnostics: diags(ds) };
    }),

    ValidateResourceConfig: rpc("ValidateResourceConfig", (req) => {
      const r = resource(typeName(req));
      return { diagnostics: diags(r.validate(conform(r.schema.attributes, fromDyn(req.config)))) };
    }),

    ValidateDataResourceConfig: rpc("ValidateDataResourceConfig", (req) => {
      const config = conform(credentialsDataSource.schema.attributes, fromDyn(req.config));
      return { diagnostics: diags(credentialsDataSource.validate(config)) };
    }),

    UpgradeResourceState: rpc("UpgradeResourceState", (req) => {
      const r = resource(typeName(req));
      const raw = req.raw_state?.json?.length ? (JSON.parse(Buffer.from(req.raw_state.json).toString("utf8")) as Value) : null;
      return { upgraded_state: dyn(raw === null ? null : conform(r.schema.attributes, raw)), diagnostics: [] };
    }),

    ReadResource: rpc("ReadResource", async (req) => {
      const r = resource(typeName(req));
      const current = fromDyn(req.current_state);
      if (!isObject(current)) return { new_state: dyn(null), diagnostics: [] };
      try {
        const state = await r.read(needClient(), conform(r.schema.attributes, current));
        return { new_state: dyn(state), diagnostics: [], private: req.private };
      } catch (e) {
        return { new_state: req.current_state, diagnostics: diags(runnerDiagnostics(e, `Reading ${req.type_name}`, (p) => r.attributeOf(p))) };
      }
    }),

    PlanResourceChange: rpc("PlanResourceChange", (req) => {
      const r = resource(typeName(req));
      const prior = fromDyn(req.prior_state);
      const proposed = fromDyn(req.proposed_new_state);
      const plan = planResource(r.schema, prior, proposed, r.dynamicDefaults);
      return {
        planned_state: dyn(plan.planned),
        requires_replace: plan.requiresReplace.map((p) => ({ steps: p.map((attribute_name) => ({ attribute_name })) })),
        planned_private: req.prior_private,
        diagnostics: [],
      };
    }),

    ApplyResourceChange: rpc("ApplyResourceChange", async (req) => {
      const r = resource(typeName(req));
      const prior = fromDyn(req.prior_state);
      const planned = fromDyn(req.planned_state);
      const what = `${!isObject(planned) ? "Deleting" : !isObject(prior) ? "Creating" : "Updating"} ${req.type_name}`;
      try {
        const c = needClient();
        if (!isObject(planned)) {
          if (isObject(prior)) await r.delete(c, conform(r.schema.attributes, prior));
          return { new_state: dyn(null), diagnostics: [] };
        }
        const warnings: Diagnostic[] = [];
        const state = isObject(prior)
          ? await r.update(c, conform(r.schema.attributes, prior), conform(r.schema.attributes, planned))
          : await r.create(c, conform(r.schema.attributes, planned), warnings);
        return { new_state: dyn(state), diagnostics: diags(warnings) };
      } catch (e) {
        // On a failed create there is no object; on a failed update or delete the prior state stands.
        return { new_state: dyn(isObject(prior) ? prior : null), diagnostics: diags(runnerDiagnostics(e, what, (p) => r.attributeOf(p))) };
      }
    }),

    ImportResourceState: rpc("ImportResourceState", async (req) => {
      const r = resource(typeName(req));
      const id = (req.id ?? "").trim();
      try {
        const state = await r.importState(needClient(), id);
        return { imported_resources: [{ type_name: req.type_name, state: dyn(state) }], diagnostics: [] };
      } catch (e) {
        const notFound = (e as { status?: number }).status === 404;
        return { imported_resources: [], diagnostics: diags(notFound ? [error(`Cannot import ${req.type_name}`, `No ${req.type_name} with id ${JSON.stringify(id)} on the pgrotate runner.`)] : runnerDiagnostics(e, `Importing ${req.type_name}`)) };
      }
    }),

    ReadDataSource: rpc("ReadDataSource", async (req) => {
      const config = conform(credentialsDataSource.schema.attributes, fromDyn(req.config));
      try {
        return { state: dyn(await credentialsDataSource.read(needClient(), config)), diagnostics: [] };
      } catch (e) {
        const ds = runnerDiagnostics(e, `Reading ${req.type_name}`);
        if ((e as { status?: number }).status === 404) ds.forEach((d) => (d.attribute = ["rotation_id"]));
        return { diagnostics: diags(ds) };
      }
    }),

    StopProvider: rpc("StopProvider", () => ({ Error: "" })),
  };
}

