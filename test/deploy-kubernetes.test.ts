/**
 * deploy/kubernetes: the kustomize base (two runners on an external store), the embedded overlay and the webhook
 * component render with kubectl, every object validates against the Kubernetes schemas (npm kubernetes-models), the
 * environment they give the runner is one its configuration reads and accepts, and the probes name routes it serves.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { configVariables, loadConfig } from "../runner/config";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { type K8sObject, render } from "./helpers/kustomize";
import { testWithTool } from "./helpers/tools";

const KUSTOMIZE = path.join(__dirname, "..", "deploy", "kubernetes");
const withKubectl = testWithTool("kubectl", "kubectl kustomize renders offline; install kubectl from your distribution or dl.k8s.io");

/** The models of every kind the manifests hold: a kind without one fails the test (add it here). */
const MODELS: Record<string, { new (data: any): { validate(): void } }> = {
  "v1/ServiceAccount": ServiceAccount,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
};


const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-kubernetes-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** An overlay of the test's own: the base with the webhook component, as an operator's overlay would add it. */
function webhookOverlay(): string {
  const dir = path.join(work, "with-webhook");
  fs.mkdirSync(dir, { recursive: true });
  const rel = (p: string) => path.relative(dir, path.join(KUSTOMIZE, p));
  fs.writeFileSync(
    path.join(dir, "kustomization.yaml"),
    [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      "resources:",
      `  - ${rel("base")}`,
      "components:",
      `  - ${rel("components/webhook")}`,
      "configMapGenerator:",
      "  - name: pgrotate-webhook",
      "    literals:",
      "      - url=https://hooks.internal.example/pgrotate",
      "",
    ].join("\n"),
  );
  return dir;
}

const VARIANTS = { base: () => path.join(KUSTOMIZE, "base"), "overlays/embedded": () => path.join(KUSTOMIZE, "overlays", "embedded"), "base + components/webhook": webhookOverlay };
const variant = (name: keyof typeof VARIANTS) => render(VARIANTS[name]());
const one = (objects: K8sObject[], kind: string) => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
};
const runnerContainer = (objects: K8sObject[]) => {
  const pod = one(objects, "Deployment").spec.template.spec;
  return { pod, container: pod.containers.find((c: { name: string }) => c.name === "pgrotate") };
};

describe("The Kubernetes manifests", () => {
  withKubectl.each(Object.keys(VARIANTS))("When %s is rendered, then every object validates against the Kubernetes schemas", (name) => {
    const objects = variant(name as keyof typeof VARIANTS);
    expect(objects.length).toBeGreaterThanOrEqual(5);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect({ object: `${o.apiVersion}/${o.kind}`, model: Boolean(Model) }).toEqual({ object: `${o.apiVersion}/${o.kind}`, model: true });
      expect(() => new Model(o).validate()).not.toThrow();
    }
  });

  test("When an object breaks the schema, then the same validation throws (the check above can fail)", () => {
    expect(() => new Deployment({ metadata: { name: "x" }, spec: { replicas: "2" as unknown as number, selector: {}, template: {} } }).validate()).toThrow(/replicas must be integer/);
    expect(() => new NetworkPolicy({ metadata: { name: "x" }, spec: { podSelector: {}, policyTypes: "Ingress" as unknown as ["Ingress"] } }).validate()).toThrow(/policyTypes must be array/);
  });

  withKubectl("When the base is rendered, then it runs two non-root runners spread over nodes, with their secrets as files, a disruption budget and a network policy", () => {
    const objects = variant("base");
    const deployment = one(objects, "Deployment");
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const { pod, container } = runnerContainer(objects);
    expect(pod.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    expect(container.image).toBe("pgrotate:0.1.0");

    // Identity: no Kubernetes API token anywhere, and no service-link variables with the runner's prefix.
    expect(one(objects, "ServiceAccount").automountServiceAccountToken).toBe(false);
    expect([pod.serviceAccountName, pod.automountServiceAccountToken, pod.enableServiceLinks]).toEqual(["pgrotate", false, false]);

    // Security context: a numeric non-root user, a read-only root with /tmp on an emptyDir, nothing more.
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0).toBe(true);
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    const mounts = Object.fromEntries(container.volumeMounts.map((m: { mountPath: string; name: string }) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes[mounts["/tmp"]].emptyDir).toBeDefined();
    expect(volumes[mounts["/var/lib/pgrotate"]].emptyDir).toBeDefined();
    expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));

    // Every secret is a file of the Secret "pgrotate", mounted read-only and readable by its owner only (0400).
    const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env.PGROTATE_HOST).toBe("0.0.0.0");
    const secretMount = container.volumeMounts.find((m: { name: string }) => volumes[m.name].secret);
    expect(secretMount.readOnly).toBe(true);
    expect(volumes[secretMount.name].secret).toEqual({ secretName: "pgrotate", defaultMode: 0o400 });
    for (const name of ["PGROTATE_DATABASE_URL", "PGROTATE_ENCRYPTION_KEY", "PGROTATE_ADMIN_TOKEN"]) {
      expect(env[name]).toBeUndefined();
      expect(env[`${name}_FILE`]).toMatch(new RegExp(`^${secretMount.mountPath}/[a-z-]+$`));
    }

    const pdb = one(objects, "PodDisruptionBudget");
    expect(pdb.spec).toMatchObject({ minAvailable: 1, selector: deployment.spec.selector });
    const policy = one(objects, "NetworkPolicy");
    expect(policy.spec.podSelector).toEqual(deployment.spec.selector);
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: "http", protocol: "TCP" }] }]);
    expect(policy.spec.egress.flatMap((r: { ports: Array<{ port: number }> }) => r.ports.map((p) => p.port))).toEqual([53, 53, 5432]);
    const service = one(objects, "Service");
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
  });

  withKubectl("When the embedded overlay is rendered, then one runner keeps the embedded store on a claim, with no external store, no secret files and no disruption budget", () => {
    const objects = variant("overlays/embedded");
    const deployment = one(objects, "Deployment");
    expect([deployment.spec.replicas, deployment.spec.strategy]).toEqual([1, { type: "Recreate" }]);
    const { pod, container } = runnerContainer(objects);
    expect(container.env.map((e: { name: string }) => e.name).filter((n: string) => n.endsWith("_FILE") || n === "PGROTATE_DATABASE_URL")).toEqual([]);
    const data = pod.volumes.find((v: { name: string }) => v.name === container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/var/lib/pgrotate").name);
    expect(data).toEqual({ name: "data", persistentVolumeClaim: { claimName: one(objects, "PersistentVolumeClaim").metadata.name } });
    expect(pod.volumes.some((v: { secret?: unknown }) => v.secret)).toBe(false);
    expect(objects.filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  withKubectl("When the webhook component is added, then the URL comes from its ConfigMap, the secret from a file, and HTTPS egress is allowed", () => {
    const objects = variant("base + components/webhook");
    const { container } = runnerContainer(objects);
    const byName = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));
    const configMap = one(objects, "ConfigMap");
    expect(byName.PGROTATE_WEBHOOK_URL.valueFrom.configMapKeyRef).toEqual({ name: configMap.metadata.name, key: "url" });
    expect(configMap.data.url).toBe("https://hooks.internal.example/pgrotate");
    expect(byName.PGROTATE_WEBHOOK_SECRET_FILE.value).toBe("/run/secrets/pgrotate/webhook-secret");
    expect(one(objects, "NetworkPolicy").spec.egress.at(-1)).toEqual({ ports: [{ port: 443, protocol: "TCP" }] });
  });

  withKubectl.each(Object.keys(VARIANTS))("When %s sets the runner's environment, then every variable is one the configuration reads, and it accepts their values", (name) => {
    const objects = variant(name as keyof typeof VARIANTS);
    const { pod, container } = runnerContainer(objects);
    const known = new Set(configVariables().map((v) => v.name));
    const env: Record<string, string> = {};
    // The secret volume's files, made here with the same mode as Kubernetes gives them (0440 root:fsGroup or 0400).
    const secrets = path.join(work, name.replace(/\W+/g, "-"));
    fs.mkdirSync(secrets, { recursive: true });
    const fakeSecrets: Record<string, string> = {
      "database-url": "postgres://pgrotate:store-password@store.internal:5432/pgrotate",
      "encryption-key": Buffer.alloc(32, 7).toString("base64"),
      "admin-token": "a-kubernetes-admin-token-of-some-length",
      "webhook-secret": "a-webhook-signing-secret",
    };
    const mountOf = (file: string) => container.volumeMounts.find((m: { mountPath: string }) => file.startsWith(m.mountPath + "/"));
    for (const e of container.env as Array<{ name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }>) {
      expect({ name: e.name, known: known.has(e.name) }).toEqual({ name: e.name, known: true });
      let value = e.value ?? one(objects, "ConfigMap").data[e.valueFrom!.configMapKeyRef!.key];
      if (e.name.endsWith("_FILE")) {
        const mount = mountOf(value);
        expect(pod.volumes.find((v: { name: string }) => v.name === mount.name).secret).toBeDefined();
        const file = path.join(secrets, path.basename(value));
        fs.writeFileSync(file, fakeSecrets[path.basename(value)] + "\n", { mode: 0o400 });
        value = file;
      }
      env[e.name] = value;
    }
    const config = loadConfig(env);
    expect(config.host).toBe("0.0.0.0");
    expect(config.port).toBe(container.ports.find((p: { name: string }) => p.name === "http").containerPort);
    expect(config.warnings).toEqual([]);
  });
});

describe("The probes", () => {
  let t: TestRunner | undefined;
  afterAll(async () => t?.stop());

  withKubectl.each(Object.keys(VARIANTS))("When %s is rendered, then its startup, readiness and liveness probes ask a real runner routes it serves on the http port", async (name) => {
    t ??= await startTestRunner({ logLevel: "silent" });
    const { container } = runnerContainer(variant(name as keyof typeof VARIANTS));
    const probes = { startupProbe: container.startupProbe, readinessProbe: container.readinessProbe, livenessProbe: container.livenessProbe };
    expect(Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, p.httpGet.path]))).toEqual({ startupProbe: "/healthz", readinessProbe: "/readyz", livenessProbe: "/healthz" });
    for (const probe of Object.values(probes)) {
      expect(probe.httpGet.port).toBe("http");
      const res = await fetch(`${t.runner.url}${probe.httpGet.path}`);
      expect({ path: probe.httpGet.path, status: res.status }).toEqual({ path: probe.httpGet.path, status: 200 });
    }
    // The startup probe gives a start (migrations, recovery) a minute before the liveness probe may restart it.
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(60);
  });
});
