/**
 * The plugin process: loads the protocol definitions, serves tfplugin6.Provider plus go-plugin's
 * GRPCController, GRPCStdio and GRPCBroker over AutoMTLS, and prints the go-plugin handshake line.
 */
import fs from "node:fs";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Logger } from "./log";
import { createProviderService } from "./provider";
import { type KeyPair, selfSignedCertificate } from "./tls";

/** go-plugin's magic cookie for Terraform providers: the process was started by Terraform. */
export const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION = 1;
const APP_PROTOCOL_VERSION = 6;

/** The .proto files, from the sources (ts-jest) and from dist/ (tsc does not copy them). */
export function protoDir(): string {
  if (!fs.existsSync(path.join(__dirname, "tfplugin6.proto"))) throw new Error(`pgrotate: tfplugin6.proto not found in ${__dirname} (run npm run build)`);
  return __dirname;
}

/** The services of tfplugin6.proto and go-plugin.proto, as proto-loader builds them (each a client constructor with its definition). */
export interface PluginServices {
  tfplugin6: { Provider: grpc.ServiceClientConstructor };
  plugin: { GRPCController: grpc.ServiceClientConstructor; GRPCStdio: grpc.ServiceClientConstructor; GRPCBroker: grpc.ServiceClientConstructor };
}

export function loadServices(): PluginServices {
  const dir = protoDir();
  const def = protoLoader.loadSync(["tfplugin6.proto", "go-plugin.proto"], {
    includeDirs: [dir],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def) as unknown as PluginServices;
}

export interface PluginServer {
  /** The go-plugin handshake line (without newline). */
  handshake: string;
  /** Resolves when GRPCController.Shutdown was called (or stop()). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** The server key, when its generation was started early (main.ts). */
  key?: Promise<KeyPair>;
}

export async function startPluginServer(opts: StartOptions): Promise<PluginServer> {
  const env = opts.env ?? process.env;
  const { log } = opts;
  const services = loadServices();
  const server = new grpc.Server();
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const openStreams = new Set<grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>>();

  server.addService(services.tfplugin6.Provider.service, createProviderService({ log, env }));
  server.addService(services.plugin.GRPCController.service, {
    Shutdown: (_call: unknown, cb: (e: null, r: object) => void) => {
      log.debug("GRPCController.Shutdown");
      cb(null, {});
      resolveDone();
    },
  });
  server.addService(services.plugin.GRPCStdio.service, {
    // Logs go to stderr directly; the stream stays open and quiet until shutdown.
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on("cancelled", () => openStreams.delete(call));
    },
  });
  server.addService(services.plugin.GRPCBroker.service, {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on("data", () => undefined);
      call.on("end", () => {
        openStreams.delete(call);
        call.end();
      });
      call.on("cancelled", () => openStreams.delete(call));
    },
  });

  const clientCert = env.PLUGIN_CLIENT_CERT;
  let credentials: grpc.ServerCredentials;
  let certField = "";
  if (clientCert) {
    const cert = await selfSignedCertificate(opts.key);
    credentials = grpc.ServerCredentials.createSsl(Buffer.from(clientCert), [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }], true);
    certField = cert.derBase64;
  } else {
    credentials = grpc.ServerCredentials.createInsecure();
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  const parts = [CORE_PROTOCOL_VERSION, APP_PROTOCOL_VERSION, "tcp", `127.0.0.1:${port}`, "grpc"];
  const handshake = (certField ? [...parts, certField] : parts).join("|");

  /** Ends the quiet streams, lets pending calls (the Shutdown answer) finish, at most 250 ms. */
  const stop = async () => {
    for (const s of openStreams) s.end();
    openStreams.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 250);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    server.forceShutdown();
    resolveDone();
  };
  return { handshake, done, stop };
}

/** Checks the environment go-plugin sets; a message for a human who ran the binary directly. */
export function checkPluginEnvironment(env: NodeJS.ProcessEnv): string | undefined {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    return "This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will load any plugins automatically (terraform, with dev_overrides or a filesystem mirror; see docs/terraform.md in pgrotate).";
  }
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION)).split(",").map((v) => v.trim());
  if (!versions.includes(String(APP_PROTOCOL_VERSION))) {
    return `terraform-provider-pgrotate speaks plugin protocol ${APP_PROTOCOL_VERSION}; this Terraform offers ${versions.join(", ")} (Terraform 1.0 or later is needed).`;
  }
  return undefined;
}
