import { useState } from "react";
import { Field } from "../common/Field";

/**
 * The project to show; applied when the field is left or Enter is pressed (not on every key). Render it with
 * key={value} so a project chosen elsewhere resets what is typed.
 */
export function ProjectField(props: { value: string; onChange: (v: string) => void }) {
  const [draft, setDraft] = useState(props.value);
  const apply = () => {
    const v = draft.trim() || "default";
    if (v !== props.value) props.onChange(v);
  };
  return (
    <Field label="Project">
      <input
        type="text"
        value={draft}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            apply();
          }
        }}
      />
    </Field>
  );
}
