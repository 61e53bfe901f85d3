/**
 * examples/kubernetes: each directory renders with kubectl; the core objects validate against the Kubernetes schemas
 * (npm kubernetes-models), the custom resources against the CRDs of External Secrets and of Infisical's operator
 * (vendored in test/fixtures/crds/, with unknown fields refused as `kubectl apply`'s strict field validation does);
 * and the pieces fit: the stores reach the runner's Service of deploy/kubernetes, the identity Secret is the one the
 * stores name, the app reads the Secret the operators write, and no real secret is committed.
 */
import fs from "node:fs";
import path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { Secret } from "kubernetes-models/v1/Secret";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { parse } from "yaml";
import { type K8sObject, render } from "./helpers/kustomize";
import { testWithTool } from "./helpers/tools";

const ROOT = path.join(__dirname, "..");
const EXAMPLES = path.join(ROOT, "examples", "kubernetes");
const CRDS = path.join(__dirname, "fixtures", "crds");
const withKubectl = testWithTool("kubectl", "kubectl kustomize renders offline; install kubectl from your distribution or dl.k8s.io");

const DIRECTORIES = ["external-secrets", "external-secrets-cluster", "infisical-operator", "app"] as const;
type Directory = (typeof DIRECTORIES)[number];

/** What the operators write and the app reads: one Secret, in the app's namespace, with the rotation's mapped names. */
const SHARED_SECRET = { name: "shop-db-credentials", namespace: "shop" };
const MAPPED = ["POSTGRES_DB_USERNAME", "POSTGRES_DB_PASSWORD"];


/** The core kinds the examples hold, validated with kubernetes-models (a kind without a validator fails the test). */
const MODELS: Record<string, { new (data: any): { validate(): void } }> = {
  "v1/Secret": Secret,
  "apps/v1/Deployment": Deployment,
};

// ---- the CRDs' own schemas

/**
 * A CRD's structural schema as a JSON schema that refuses unknown fields: the API server would prune them silently,
 * and `kubectl apply` (strict field validation, its default) refuses them. No vendored CRD has CEL rules
 * (x-kubernetes-validations) or preserves unknown fields; the test checks that, since it could check neither.
 */
function strict(schema: any): any {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== "object") return schema;
  if ("x-kubernetes-validations" in schema || "x-kubernetes-preserve-unknown-fields" in schema) {
    throw new Error("a CRD rule this test does not evaluate: check the fields it guards by hand");
  }
  const out: any = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, strict(v)]));
  if (out.type === "object" && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addVocabulary(["x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type"]);
ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
ajv.addFormat("byte", /^[A-Za-z0-9+/]*={0,2}$/);

/** apiVersion/kind -> a validator of the whole object, from each vendored CRD's served versions. */
const crdValidators = new Map<string, { validate: ValidateFunction; source: string }>();
for (const file of fs.readdirSync(CRDS).filter((f) => f.endsWith(".yaml"))) {
  const crd = parse(fs.readFileSync(path.join(CRDS, file), "utf8"));
  for (const version of crd.spec.versions) {
    const schema = strict(version.schema.openAPIV3Schema);
    crdValidators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, { validate: ajv.compile(schema), source: file });
  }
}

function validateCustom(o: K8sObject): string[] {
  const v = crdValidators.get(`${o.apiVersion}/${o.kind}`)!;
  const name = `${o.kind} ${o.metadata.name} (test/fixtures/crds/${v.source})`;
  return v.validate(o) ? [] : (v.validate.errors ?? []).map((e) => `${name}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

// ---- rendering

const example = (name: Directory) => render(path.join(EXAMPLES, name));
const one = (objects: K8sObject[], kind: string, name?: string) => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found.map((o) => `${o.kind}/${o.metadata.name}`)).toHaveLength(1);
  return found[0];
};
const secretData = (s: K8sObject) => Object.fromEntries(Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));

/** The runner's Service as deploy/kubernetes makes it, in the namespace docs/production.md's overlay gives it. */
function runnerService(): { host: string; port: number } {
  const service = one(render(path.join(ROOT, "deploy", "kubernetes", "base")), "Service");
  const namespace = /^namespace: (\S+)$/m.exec(fs.readFileSync(path.join(ROOT, "docs", "production.md"), "utf8"))![1];
  return { host: `${service.metadata.name}.${namespace}.svc`, port: service.spec.ports.find((p: { name: string }) => p.name === "http").port };
}

/** The Go duration an ExternalSecret's refreshInterval is ("1m", "1h0m0s"), in seconds. */
function goDuration(s: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  expect(parts.map((p) => p[0]).join("")).toBe(s);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/** The operator's resyncInterval ("5m"): a number and one unit of s, m, h, d, w, at least 5 s (its own parser's rules). */
function operatorInterval(s: string): number {
  const m = /^(\d+)([smhdw])$/.exec(s);
  expect(m).not.toBeNull();
  const seconds = Number(m![1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m![2] as "s"];
  expect(seconds).toBeGreaterThanOrEqual(5);
  return seconds;
}

describe("The Kubernetes examples", () => {
  withKubectl.each([...DIRECTORIES])("When %s is rendered, then every object validates: core kinds against the Kubernetes schemas, custom resources against their CRD", (name) => {
    const objects = example(name);
    expect(objects.length).toBeGreaterThanOrEqual(2);
    for (const o of objects) {
      const key = `${o.apiVersion}/${o.kind}`;
      const Model = MODELS[key];
      const crd = crdValidators.get(key);
      expect({ object: key, validator: Boolean(Model || crd) }).toEqual({ object: key, validator: true });
      if (Model) expect(() => new Model(o).validate()).not.toThrow();
      else expect(validateCustom(o)).toEqual([]);
    }
  });

  test("When a custom resource has a misspelt, unknown or mistyped field, then the CRD validation names it (the check above can fail)", () => {
    const infisical = parse(fs.readFileSync(path.join(EXAMPLES, "infisical-operator", "infisicalsecret.yaml"), "utf8"));
    infisical.spec.syncConfig.instantUpdate = infisical.spec.syncConfig.instantUpdates;
    expect(validateCustom(infisical).join("\n")).toMatch(/\/spec\/syncConfig must NOT have additional properties.*instantUpdate"/);
    const store = parse(fs.readFileSync(path.join(EXAMPLES, "external-secrets", "secretstore.yaml"), "utf8"));
    store.spec.provider.infisical.secretsScope.projectId = "shop"; // an Infisical operator field, not one of ESO's
    expect(validateCustom(store).join("\n")).toMatch(/secretsScope must NOT have additional properties.*projectId/);
    delete store.spec.provider.infisical.secretsScope.projectId;
    delete store.spec.provider.infisical.secretsScope.environmentSlug;
    expect(validateCustom(store).join("\n")).toMatch(/must have required property 'environmentSlug'/);
    const external = parse(fs.readFileSync(path.join(EXAMPLES, "external-secrets", "externalsecret.yaml"), "utf8"));
    external.spec.secretStoreRef.kind = "SecretsStore";
    expect(validateCustom(external).join("\n")).toMatch(/secretStoreRef\/kind must be equal to one of the allowed values/);
  });

  withKubectl("When a store names pgrotate, then it reaches the runner's Service of deploy/kubernetes, in the form each operator expects", () => {
    const { host, port } = runnerService();
    const stores = [
      { hostAPI: one(example("external-secrets"), "SecretStore").spec.provider.infisical.hostAPI, path: "/" },
      { hostAPI: one(example("external-secrets-cluster"), "ClusterSecretStore").spec.provider.infisical.hostAPI, path: "/" },
      // The operator's hostAPI ends in /api (it adds it when missing); ESO's SDK adds /api to a bare origin.
      { hostAPI: one(example("infisical-operator"), "InfisicalSecret").spec.hostAPI, path: "/api" },
    ];
    for (const s of stores) {
      const url = new URL(s.hostAPI);
      expect({ protocol: url.protocol, host: url.hostname, port: Number(url.port), path: url.pathname }).toEqual({ protocol: "http:", host, port, path: s.path });
    }
  });

  withKubectl.each(["external-secrets", "external-secrets-cluster", "infisical-operator"] as const)("When %s logs in, then the identity Secret it names is the one it makes, with the keys it reads", (name) => {
    const objects = example(name);
    const identity = one(objects, "Secret", "pgrotate-identity");
    const keys = Object.keys(secretData(identity)).sort();
    expect(keys).toEqual(["clientId", "clientSecret"]);
    if (name === "infisical-operator") {
      // The operator reads the keys clientId and clientSecret of the Secret credentialsRef names.
      const ref = one(objects, "InfisicalSecret").spec.authentication.universalAuth.credentialsRef;
      expect(ref).toEqual({ secretName: identity.metadata.name, secretNamespace: identity.metadata.namespace });
      return;
    }
    const store = one(objects, name === "external-secrets" ? "SecretStore" : "ClusterSecretStore");
    const creds = store.spec.provider.infisical.auth.universalAuthCredentials;
    for (const field of ["clientId", "clientSecret"]) {
      // A SecretStore's refs are in its own namespace (ESO refuses a namespace there); a cluster store's must name one.
      const namespace = name === "external-secrets" ? store.metadata.namespace : creds[field].namespace;
      if (name === "external-secrets") expect(creds[field].namespace).toBeUndefined();
      expect({ name: creds[field].name, namespace, key: creds[field].key }).toEqual({ name: identity.metadata.name, namespace: identity.metadata.namespace, key: field });
    }
  });

  withKubectl.each(["external-secrets", "external-secrets-cluster"] as const)("When ESO syncs through %s, then it reads the rotation's folder in one list read and writes both mapped names to the shared Secret", (name) => {
    const objects = example(name);
    const external = one(objects, "ExternalSecret");
    const store = one(objects, name === "external-secrets" ? "SecretStore" : "ClusterSecretStore");
    expect(external.spec.secretStoreRef).toEqual({ kind: store.kind, name: store.metadata.name });
    if (store.kind === "SecretStore") expect(store.metadata.namespace).toBe(external.metadata.namespace);
    else expect(store.spec.conditions.flatMap((c: { namespaces: string[] }) => c.namespaces)).toContain(external.metadata.namespace);
    expect(store.spec.provider.infisical.secretsScope).toEqual({ projectSlug: "shop", environmentSlug: "prod", secretsPath: "/", recursive: false });

    expect({ name: external.spec.target.name, namespace: external.metadata.namespace }).toEqual(SHARED_SECRET);
    // Not `data` (one read per key, which a rotation between them would tear): one `find` over the folder.
    expect(external.spec.data).toBeUndefined();
    expect(external.spec.dataFrom).toHaveLength(1);
    const matcher = new RegExp(external.spec.dataFrom[0].find.name.regexp);
    const folder = [...MAPPED, "POSTGRES_DB_USERNAME_OLD", "X_POSTGRES_DB_PASSWORD", "OTHER"];
    expect(folder.filter((k) => matcher.test(k))).toEqual(MAPPED);
    const refresh = goDuration(external.spec.refreshInterval);
    expect(refresh).toBeGreaterThanOrEqual(60);
    expect(refresh).toBeLessThanOrEqual(600); // well inside the grace guard's 10 minutes
  });

  withKubectl("When the Infisical operator syncs, then it follows the event stream, names the project by id and writes the shared Secret", () => {
    const spec = one(example("infisical-operator"), "InfisicalSecret").spec;
    expect(spec.syncConfig.instantUpdates).toBe(true);
    expect(operatorInterval(spec.syncConfig.resyncInterval)).toBeLessThanOrEqual(600);
    // The deprecated top-level fields would be ignored next to syncConfig: keep one form.
    expect([spec.instantUpdates, spec.resyncInterval]).toEqual([undefined, undefined]);
    // By id: projectSlug would cost the operator a project lookup (/api/v2/workspace/:slug) at every resync.
    expect(spec.authentication.universalAuth.secretsScope).toEqual({ projectId: "shop", envSlug: "prod", secretsPath: "/" });
    expect(spec.managedKubeSecretReferences).toEqual([{ secretName: SHARED_SECRET.name, secretNamespace: SHARED_SECRET.namespace, creationPolicy: "Owner" }]);
  });

  withKubectl("When the app reads the credentials, then both Deployments use the Secret the operators write, as env with Reloader's restart or as a whole mounted volume", () => {
    const objects = example("app");
    const byEnv = one(objects, "Deployment", "shop-api");
    const byFile = one(objects, "Deployment", "shop-api-files");
    for (const d of [byEnv, byFile]) expect(d.metadata.namespace).toBe(SHARED_SECRET.namespace);

    // Environment: the two mapped names, and Reloader told to restart on that Secret (on the Deployment, not the pod).
    const env = byEnv.spec.template.spec.containers[0].env as Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
    const fromSecret = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom!.secretKeyRef!);
    expect(fromSecret).toEqual(MAPPED.map((key) => ({ name: SHARED_SECRET.name, key })));
    expect(byEnv.metadata.annotations?.["secret.reloader.stakater.com/reload"]).toBe(SHARED_SECRET.name);
    expect(byEnv.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });

    // Files: the whole Secret as a read-only volume (subPath mounts are never updated), no restart annotation needed.
    const pod = byFile.spec.template.spec;
    const volume = pod.volumes.find((v: { secret?: { secretName: string } }) => v.secret?.secretName === SHARED_SECRET.name);
    const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
    expect({ readOnly: mount.readOnly, subPath: mount.subPath, items: volume.secret.items }).toEqual({ readOnly: true, subPath: undefined, items: undefined });
    expect(pod.containers[0].env).toContainEqual({ name: "DB_CREDENTIALS_DIR", value: mount.mountPath });
    expect(byFile.metadata.annotations?.["secret.reloader.stakater.com/reload"]).toBeUndefined();
  });

  withKubectl("When the app runs, then its pods are locked down like the runner's: non-root, read-only root, no capabilities, RuntimeDefault seccomp, resources", () => {
    for (const d of example("app")) {
      const pod = d.spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
        expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(c.resources.limits.memory).toEqual(expect.any(String));
      }
    }
  });

  withKubectl("When the examples are committed, then they hold placeholders and no real client secret, token or client id", () => {
    for (const name of DIRECTORIES) {
      for (const s of example(name).filter((o) => o.kind === "Secret")) {
        for (const [key, value] of Object.entries(secretData(s))) expect({ key, value }).toEqual({ key, value: expect.stringMatching(/^REPLACE_WITH_[A-Z_]+$/) });
      }
    }
    const files = fs.readdirSync(EXAMPLES, { recursive: true, encoding: "utf8" }).map((f) => path.join(EXAMPLES, f)).filter((f) => fs.statSync(f).isFile());
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      // pgrotate's secrets (pgr_tok_, pgr_cs_, pgr_at_ and a random tail) and client ids (UUIDs).
      expect({ file, found: text.match(/pgr_(tok|cs|at)_[A-Za-z0-9_-]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) }).toEqual({ file, found: null });
    }
  });
});
