/**
 * go-plugin AutoMTLS, server side: a fresh self-signed certificate per process (CN/SAN localhost, CA,
 * serverAuth + clientAuth), announced in the handshake line; Terraform's own certificate
 * (PLUGIN_CLIENT_CERT) is the only client certificate accepted.
 */
import { generateKeyPair, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface ServerCertificate {
  certPem: string;
  keyPem: string;
  /** DER, base64 standard alphabet without padding, as go-plugin expects in the handshake. */
  derBase64: string;
}

export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

/**
 * An RSA key generated natively on the thread pool (50-250 ms), so the process can start it before loading
 * its modules; node-forge only builds and signs the certificate.
 */
export function generateServerKey(): Promise<KeyPair> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      "rsa",
      { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })),
    ),
  );
}

export async function selfSignedCertificate(key: Promise<KeyPair> = generateServerKey()): Promise<ServerCertificate> {
  const { publicKey, privateKey } = await key;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = "01" + randomBytes(15).toString("hex");
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + 365 * 86_400_000);
  const name = [{ name: "commonName", value: "localhost" }, { name: "organizationName", value: "pgrotate" }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyAgreement: true, keyCertSign: true, critical: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKey, derBase64: der.toString("base64").replace(/=+$/, "") };
}
