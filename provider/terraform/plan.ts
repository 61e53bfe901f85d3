/**
 * PlanResourceChange, the same for every resource: non-computed attributes are planned as configured,
 * optional+computed ones left out take their default, computed-only ones are kept from the prior state when
 * nothing changed and become unknown ("known after apply") when something did. A change of an attribute
 * marked `replace` is reported in requires_replace.
 */
import { type Attr, type ObjectValue, type ResourceSchema, type Value, UNKNOWN, conform, isList, isObject, sameValue } from "./values";

export interface Plan {
  planned: Value;
  requiresReplace: string[][];
}

/** Defaults that depend on other planned attributes (rotate_at_utc is 00:00 unless rotate_at is set). */
export type DynamicDefaults = Record<string, (planned: ObjectValue) => Value>;

const computedOnly = (a: Attr) => !!a.computed && !a.optional && !a.required;

function planConfigured(attrs: Attr[], proposed: ObjectValue, dynamicDefaults: DynamicDefaults): ObjectValue {
  const out: ObjectValue = {};
  for (const a of attrs) {
    if (computedOnly(a)) continue;
    const v = proposed[a.name];
    if (a.computed && a.optional && (v === null || v === undefined) && a.default !== undefined) out[a.name] = a.default;
    else if (isObject(v) && a.nested) out[a.name] = planConfigured(a.nested, v, {});
    else if (isList(v) && a.nested) out[a.name] = v.map((el) => (isObject(el) ? planConfigured(a.nested!, el, {}) : el));
    else out[a.name] = v ?? null;
  }
  for (const [name, fn] of Object.entries(dynamicDefaults)) {
    if (out[name] === null) out[name] = fn(out);
  }
  return out;
}

function replacePaths(attrs: Attr[], prior: Value, planned: Value, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  const p = isObject(prior) ? prior : {};
  const n = isObject(planned) ? planned : {};
  for (const a of attrs) {
    if (a.replace && !sameValue(p[a.name], n[a.name])) out.push([...prefix, a.name]);
    else if (a.nested && isObject(p[a.name]) && isObject(n[a.name])) out.push(...replacePaths(a.nested, p[a.name], n[a.name], [...prefix, a.name]));
  }
  return out;
}

export function planResource(schema: ResourceSchema, prior: Value, proposed: Value, dynamicDefaults: DynamicDefaults = {}): Plan {
  if (proposed === null || !isObject(proposed)) return { planned: null, requiresReplace: [] };
  const configured = planConfigured(schema.attributes, proposed, dynamicDefaults);
  const priorObj = isObject(prior) ? conform(schema.attributes, prior) : null;
  const changed = !priorObj || schema.attributes.some((a) => !computedOnly(a) && !sameValue(configured[a.name], priorObj[a.name]));
  const planned: ObjectValue = {};
  for (const a of schema.attributes) {
    if (!computedOnly(a)) planned[a.name] = configured[a.name];
    else if (!priorObj) planned[a.name] = UNKNOWN;
    else if (changed && !a.stable) planned[a.name] = UNKNOWN;
    else planned[a.name] = priorObj[a.name];
  }
  const requiresReplace = priorObj ? replacePaths(schema.attributes, priorObj, planned) : [];
  return { planned, requiresReplace };
}
