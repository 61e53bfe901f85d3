/**
 * Trusting a private CA for the runner's HTTPS (Node only; the console runs in a browser, which has its own trust
 * store). `PGROTATE_CA_FILE` (or `--ca-file`, `caFile`, `ca_file`) names a PEM file with one or more CA
 * certificates; they are trusted beside the system's CAs, as NODE_EXTRA_CA_CERTS would, but for the runner only.
 */
import fs from "node:fs";
import tls from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";
import { RunnerApiError } from "./client";

/** The PEM text of a CA file, or a clear error naming the file (never its content). */
export function readCaFile(file: string, setting = "PGROTATE_CA_FILE"): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new RunnerApiError(`Cannot read the CA file ${file} (${setting}): ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new RunnerApiError(`The CA file ${file} (${setting}) holds no PEM certificate`);
  return pem;
}

/** A fetch that trusts `ca` (PEM) beside the system's CAs. */
export function fetchTrusting(ca: string | Buffer): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: [...tls.rootCertificates, ca.toString()] } });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as typeof fetch;
}

/** The fetch for a CA file setting: trusting it when set, else undefined (the client's default fetch). */
export function fetchForCaFile(file: string | undefined, setting = "PGROTATE_CA_FILE"): typeof fetch | undefined {
  return file ? fetchTrusting(readCaFile(file, setting)) : undefined;
}
