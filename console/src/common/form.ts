/**
 * The console's forms: react-hook-form, validated by the runner's own zod schemas (zodResolver). A form's values
 * are shaped like the request body, so an error's path — from the schema in the browser or from the runner's 422 —
 * is the name of the field it is shown on (FormField.tsx shows a field and its error).
 */
import { zodResolver } from "@hookform/resolvers/zod";
import type { BaseSyntheticEvent } from "react";
import { type DefaultValues, type FieldErrors, type FieldValues, get, type Path, useForm, useFormState, type UseFormSetError } from "react-hook-form";
import { z, type ZodType } from "zod";
import { pathOf, validationIssues } from "./issues";
import { useFocusFirstError } from "./useFocusFirstError";

/** Where an issue is shown (a form may move it to the field that holds it, or say it in its own words). */
export type Place = (issue: { path: string; message: string }) => { path: string; message: string };
const asIs: Place = (i) => i;

/**
 * A form's schema, derived from the runner's: the form's values become the request body (`toBody`), which the
 * runner's `schema` parses; its issues land on the fields their paths name (after `place`). The parsed body is what
 * the form submits.
 */
export function bodySchema<V, Out>(schema: ZodType<Out>, toBody: (v: V) => unknown, place: Place = asIs) {
  return z.custom<V>().transform((values, ctx): Out => {
    const parsed = schema.safeParse(toBody(values));
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const at = place({ path: pathOf(issue.path), message: issue.message });
      ctx.addIssue({ code: "custom", path: at.path ? at.path.split(".") : [], message: at.message });
    }
    return z.NEVER;
  });
}

/**
 * A form validated by `schema` on submit (and again only on the next submit: messages do not change while one
 * types). Focus moves to the first field in error by one way for every form: `focusFirstError` (the fields marked
 * aria-invalid inside `focusRef`, in the order on the screen), called by `submit` and after the runner's refusals.
 */
export function useSchemaForm<V extends FieldValues, Out, E extends HTMLElement = HTMLFormElement>(schema: ZodType<Out, V>, defaultValues: DefaultValues<V>) {
  const form = useForm<V, unknown, Out>({ resolver: zodResolver(schema), defaultValues, mode: "onSubmit", reValidateMode: "onSubmit", shouldFocusError: false });
  const [focusRef, focusFirstError] = useFocusFirstError<E>();
  /**
   * Validates, then `onValid(body)`; or shows the errors, calls `onInvalid` with them and focuses the first. The
   * focus moves once react-hook-form has published the errors (after handleSubmit, not inside its onInvalid).
   */
  const submit = (onValid: (body: Out) => void, onInvalid?: (errors: FieldErrors<V>) => void) => async (e?: BaseSyntheticEvent) => {
    let errors: FieldErrors<V> | undefined;
    await form.handleSubmit(onValid, (found) => {
      errors = found;
    })(e);
    if (!errors) return;
    onInvalid?.(errors);
    focusFirstError();
  };
  return { form, focusRef, focusFirstError, submit };
}

/** True when the error is the runner's refusal of fields (422 ValidationError), each issue naming one. */
export function namesFields(err: unknown): boolean {
  const issues = validationIssues(err);
  return !!issues?.length && issues.every((i) => pathOf(i.path) !== "");
}

/**
 * The runner's refusal of fields (422 ValidationError) placed on them (the first message of each); false when it
 * is some other error (then the form says it in an alert).
 */
export function setServerErrors<V extends FieldValues>(setError: UseFormSetError<V>, err: unknown, place: Place = asIs): boolean {
  if (!namesFields(err)) return false;
  const seen = new Set<string>();
  for (const i of validationIssues(err)!.map((x) => place({ path: pathOf(x.path), message: x.message }))) {
    if (seen.has(i.path)) continue;
    seen.add(i.path);
    setError(i.path as Path<V>, { type: "server", message: i.message });
  }
  return true;
}

/** A schema's message in the words on the screen: "parameters.username1 must…" or "username1 must…" → "Database Username 1 must…". */
export function inWords(name: string, label: string, message: string): string {
  const last = name.split(".").pop()!;
  if (message.startsWith(name)) return label + message.slice(name.length);
  if (message.startsWith(last)) return label + message.slice(last.length);
  return message;
}

/** The message of field `name` of the form around (a list's own message is its `root`). */
export function useErrorMessage(name: string): string | undefined {
  const { errors } = useFormState({ name });
  const error: { message?: unknown; root?: { message?: unknown } } | undefined = get(errors, name);
  const message = error?.message ?? error?.root?.message;
  return typeof message === "string" && message ? message : undefined;
}
