/** Rendering kustomize directories with the real `kubectl kustomize` (deploy/kubernetes and examples/kubernetes tests). */
import { parseAllDocuments } from "yaml";
import { findTool, runTool } from "./tools";

/** One rendered Kubernetes object. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any } & Record<string, any>;

const rendered = new Map<string, K8sObject[]>();

/** `kubectl kustomize DIR`, parsed (once per directory). Callers skip where kubectl is missing (testWithTool). */
export function render(dir: string): K8sObject[] {
  const hit = rendered.get(dir);
  if (hit) return hit;
  const r = runTool(findTool("kubectl")!, ["kustomize", dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
  rendered.set(dir, docs);
  return docs;
}
