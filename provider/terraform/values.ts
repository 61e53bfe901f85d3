/**
 * Terraform values as they cross the protocol: DynamicValue msgpack (cty's encoding), plus the small schema
 * model pgrotate's resources are declared with. Unknown values (msgpack extension 0, or 12 for a refined,
 * partly known value) decode to the UNKNOWN marker; every object sent back carries every schema attribute. Lists
 * (of nested objects) are plain arrays.
 */
import { decode, encode, ExtensionCodec } from "@msgpack/msgpack";

/** A value Terraform does not know yet (a reference to something not created). */
class UnknownValue {
  readonly #brand = "unknown";
  toString(): string {
    return this.#brand;
  }
}
export const UNKNOWN = new UnknownValue();
export type Unknown = UnknownValue;

export type Value = null | string | number | boolean | Unknown | Value[] | { [k: string]: Value };
export type ObjectValue = { [k: string]: Value };

export const isUnknown = (v: unknown): v is Unknown => v === UNKNOWN;
export const isObject = (v: unknown): v is ObjectValue => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof UnknownValue);
export const isList = (v: unknown): v is Value[] => Array.isArray(v);

/** cty's msgpack extension codes. */
const EXT_UNKNOWN = 0;
const EXT_REFINED_UNKNOWN = 12;

const codec = new ExtensionCodec();
codec.register({
  type: EXT_UNKNOWN,
  encode: (v) => (v === UNKNOWN ? new Uint8Array([0]) : null),
  decode: () => UNKNOWN,
});
codec.register({ type: EXT_REFINED_UNKNOWN, encode: () => null, decode: () => UNKNOWN });

export function decodeMsgpack(bytes: Uint8Array | undefined | null): Value {
  if (!bytes || bytes.length === 0) return null;
  return fromWire(decode(bytes, { extensionCodec: codec }));
}

export function encodeMsgpack(v: Value): Buffer {
  const bytes = encode(v, { extensionCodec: codec, ignoreUndefined: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function fromWire(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (v === UNKNOWN || typeof v === "string" || typeof v === "boolean") return v as Value;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(fromWire);
  if (typeof v === "object" && !(v instanceof Uint8Array)) {
    const out: ObjectValue = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = fromWire(x);
    return out;
  }
  throw new Error("pgrotate: unsupported value in a Terraform DynamicValue (bytes are not part of this provider's schemas)");
}

// ---- schema model

export type PrimitiveType = "string" | "number" | "bool";
export type AttrType = PrimitiveType | { map: PrimitiveType } | { list: PrimitiveType };

export interface Attr {
  name: string;
  description: string;
  /** A primitive, map or list type; absent when `nested` is set. */
  type?: AttrType;
  /** A nested object (protocol 6 nested attributes, nesting SINGLE), or a list of them with `list`. */
  nested?: Attr[];
  /** With `nested`: a list of such objects (nesting LIST), in the order configured. */
  list?: boolean;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  /** Planned value of an optional+computed attribute left out of the configuration. */
  default?: Value;
  /** A change replaces the resource. */
  replace?: boolean;
  /** A computed attribute that never changes after create (kept in an update's plan). */
  stable?: boolean;
}

export interface ResourceSchema {
  version: number;
  description: string;
  attributes: Attr[];
}

/** The object shaped exactly like the schema: missing attributes become null, extra keys are dropped. */
export function conform(attrs: Attr[], v: Value): ObjectValue {
  const src = isObject(v) ? v : {};
  const out: ObjectValue = {};
  for (const a of attrs) {
    const x = src[a.name];
    if (x === undefined || x === null) out[a.name] = null;
    else if (isUnknown(x)) out[a.name] = UNKNOWN;
    else if (a.nested && a.list) out[a.name] = isList(x) ? x.map((el) => (isUnknown(el) ? UNKNOWN : conform(a.nested!, el))) : [];
    else if (a.nested) out[a.name] = conform(a.nested, x);
    else out[a.name] = x;
  }
  return out;
}

/** Deep equality of two known-or-unknown values. */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (isList(a) && isList(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/**
 * A new state for a planned value: every known planned value is kept as planned (Terraform requires the
 * applied state to match the plan), every unknown one is taken from what the runner answered.
 */
export function fillUnknowns(planned: Value, actual: Value): Value {
  if (isUnknown(planned)) return actual;
  if (isList(planned)) {
    const act = isList(actual) ? actual : [];
    return planned.map((v, i) => fillUnknowns(v, act[i] ?? null));
  }
  if (isObject(planned)) {
    const out: ObjectValue = {};
    const act = isObject(actual) ? actual : {};
    for (const [k, v] of Object.entries(planned)) out[k] = fillUnknowns(v, act[k] ?? null);
    return out;
  }
  return planned;
}

export const str = (v: Value | undefined): string | undefined => (typeof v === "string" ? v : undefined);
export const obj = (v: Value | undefined): ObjectValue | undefined => (isObject(v) ? v : undefined);
