/**
 * Pulumi's real dynamic-provider plugin host (`@pulumi/pulumi/cmd/dynamic-provider`), started as a child
 * process and driven over gRPC the way the engine drives it. No Pulumi CLI is needed.
 *
 * @pulumi/pulumi ships no provider.proto, only the code generated from it (proto/provider_grpc_pb.js with
 * google-protobuf messages); the client here uses exactly those, so the wire format is the engine's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";

/* eslint-disable @typescript-eslint/no-require-imports -- Pulumi's generated gRPC stubs (proto/*_pb.js) are CommonJS without type declarations */
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

type Props = Record<string, any>;

/** How the engine marks a secret value on the wire. */
export const secretValue = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

export const urnOf = (type: string, name: string) => `urn:pulumi:test::pgrotate-quickstart::pulumi-nodejs:dynamic/pgrotate:${type}::${name}`;

export interface CheckResponse {
  inputs: Props;
  failures: Array<{ property: string; reason: string }>;
}
export interface DiffResponse {
  changes: "unknown" | "none" | "some";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface ProviderHost {
  /** Everything the host wrote to stderr. */
  stderr(): string;
  configure(config: Props): Promise<void>;
  check(urn: string, olds: Props, news: Props): Promise<CheckResponse>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<DiffResponse>;
  create(urn: string, props: Props): Promise<{ id: string; properties: Props }>;
  read(urn: string, id: string, props: Props): Promise<{ id: string; properties: Props }>;
  update(urn: string, id: string, olds: Props, news: Props): Promise<{ properties: Props }>;
  delete(urn: string, id: string, props: Props): Promise<void>;
  stop(): Promise<void>;
}

const struct = (o: Props) => Struct.fromJavaScript(o);
const CHANGES = ["unknown", "none", "some"] as const;

/** Starts the plugin host in `cwd` (the Pulumi project folder: the serialized provider requires from there). */
export async function startProviderHost(opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ProviderHost> {
  const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  // The one argument is the engine's address; this version of the host never dials it.
  const child: ChildProcess = spawn(process.execPath, [entry, "127.0.0.1:1"], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err += String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += String(d);
      const line = out.split("\n")[0];
      if (out.includes("\n") && /^\d+$/.test(line.trim())) {
        child.stdout!.off("data", onData);
        resolve(Number(line.trim()));
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`dynamic-provider host exited with ${code} before printing its port: ${err}`)));
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  const rpc = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](req, (e: grpc.ServiceError | null, res: T) => (e ? reject(new Error(e.details || e.message)) : resolve(res))),
    );

  return {
    stderr: () => err,
    async configure(config) {
      const req = new provproto.ConfigureRequest();
      req.setArgs(struct(config)); // the engine always sends args; without them the host never answers
      await rpc("configure", req);
    },
    async check(urn, olds, news) {
      const req = new provproto.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await rpc<any>("check", req);
      return {
        inputs: res.getInputs()?.toJavaScript() ?? {},
        failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(urn, id, olds, news) {
      const req = new provproto.DiffRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await rpc<any>("diff", req);
      return { changes: CHANGES[res.getChanges()], replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    },
    async create(urn, props) {
      const req = new provproto.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(props));
      const res = await rpc<any>("create", req);
      return { id: res.getId(), properties: res.getProperties().toJavaScript() };
    },
    async read(urn, id, props) {
      const req = new provproto.ReadRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(props));
      const res = await rpc<any>("read", req);
      return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {} };
    },
    async update(urn, id, olds, news) {
      const req = new provproto.UpdateRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await rpc<any>("update", req);
      return { properties: res.getProperties().toJavaScript() };
    },
    async delete(urn, id, props) {
      const req = new provproto.DeleteRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(props));
      await rpc("delete", req);
    },
    async stop() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
