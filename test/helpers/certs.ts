/** Throwaway X.509 certificates for TLS tests (node-forge; RSA keys from node:crypto, which is fast). */
import crypto from "node:crypto";
import forge from "node-forge";

export interface Issued {
  certPem: string;
  keyPem: string;
}

function keyPair(): { keyPem: string; forgePrivate: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgePrivate = forge.pki.privateKeyFromPem(keyPem);
  return { keyPem, forgePrivate, forgePublic: forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e) };
}

function baseCert(publicKey: forge.pki.rsa.PublicKey, commonName: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = "01" + crypto.randomBytes(8).toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: commonName }]);
  return cert;
}

/** A self-signed certificate authority. */
export function createCa(commonName: string): Issued & { sign(cert: forge.pki.Certificate): void } {
  const k = keyPair();
  const cert = baseCert(k.forgePublic, commonName);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(k.forgePrivate, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: k.keyPem,
    sign(leaf) {
      leaf.setIssuer(cert.subject.attributes);
      leaf.sign(k.forgePrivate, forge.md.sha256.create());
    },
  };
}

/** A server certificate for 127.0.0.1 and localhost, signed by `ca`. */
export function issueServerCert(ca: ReturnType<typeof createCa>, commonName = "127.0.0.1"): Issued {
  const k = keyPair();
  const cert = baseCert(k.forgePublic, commonName);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
  ]);
  ca.sign(cert);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
}
