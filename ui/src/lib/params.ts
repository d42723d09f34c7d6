// The create-run form: one field per typed pipeline parameter, checked before anything is sent.

import type { ParameterSpec, ParameterType } from "./spec";

export interface ParameterField {
  name: string;
  type: ParameterType;
  /** No default and not optional: the run cannot start without a value. */
  required: boolean;
  description?: string;
  /** What the input shows at first: the default, as the user would type it. */
  initialText: string;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

export function parameterFields(parameters: Record<string, ParameterSpec>): ParameterField[] {
  return Object.entries(parameters).map(([name, spec]) => {
    const type = spec.parameterType ?? "STRING";
    const field: ParameterField = {
      name,
      type,
      required: spec.defaultValue === undefined && !spec.isOptional,
      initialText: spec.defaultValue === undefined ? (type === "BOOLEAN" ? "false" : "") : toText(spec.defaultValue),
    };
    if (spec.description) field.description = spec.description;
    return field;
  });
}

export function toText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export const TYPE_LABELS: Record<ParameterType, string> = {
  STRING: "string",
  NUMBER_INTEGER: "integer",
  NUMBER_DOUBLE: "number",
  BOOLEAN: "boolean",
  LIST: "list (JSON)",
  STRUCT: "object (JSON)",
  TASK_FINAL_STATUS: "task status",
  PARAMETER_TYPE_ENUM_UNSPECIFIED: "value",
};

/** The typed value of one field, or why the text is not one. Empty optional fields parse to `undefined`. */
export function parseParameter(field: ParameterField, text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed === "" && field.type !== "STRING") {
    return field.required ? { ok: false, error: "required" } : { ok: true, value: undefined };
  }
  if (text === "" && field.required) return { ok: false, error: "required" };
  switch (field.type) {
    case "NUMBER_INTEGER":
      return /^[+-]?\d+$/.test(trimmed) ? { ok: true, value: Number(trimmed) } : { ok: false, error: "must be a whole number" };
    case "NUMBER_DOUBLE": {
      const value = Number(trimmed);
      return Number.isFinite(value) ? { ok: true, value } : { ok: false, error: "must be a number" };
    }
    case "BOOLEAN":
      if (trimmed === "true" || trimmed === "false") return { ok: true, value: trimmed === "true" };
      return { ok: false, error: "must be true or false" };
    case "LIST":
      return parseJson(trimmed, (value) => Array.isArray(value), "must be a JSON list, e.g. [1, 2]");
    case "STRUCT":
      return parseJson(
        trimmed,
        (value) => value !== null && typeof value === "object" && !Array.isArray(value),
        'must be a JSON object, e.g. {"key": 1}',
      );
    case "STRING":
      return text === "" ? { ok: true, value: undefined } : { ok: true, value: text };
    default:
      return parseJson(trimmed, () => true, "must be JSON");
  }
}

function parseJson(text: string, accepts: (value: unknown) => boolean, error: string): Parsed {
  try {
    const value: unknown = JSON.parse(text);
    return accepts(value) ? { ok: true, value } : { ok: false, error };
  } catch {
    return { ok: false, error };
  }
}

/** All values to send, or the errors by field name (then nothing may be sent). */
export function parseParameters(
  fields: ParameterField[],
  texts: Record<string, string>,
): { values: Record<string, unknown>; errors: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const parsed = parseParameter(field, texts[field.name] ?? field.initialText);
    if (!parsed.ok) errors[field.name] = parsed.error;
    else if (parsed.value !== undefined) values[field.name] = parsed.value;
  }
  return { values, errors };
}
