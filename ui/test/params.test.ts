import { describe, expect, it } from "vitest";
import { compareRows } from "../src/lib/compare";
import { formatDuration, formatValue } from "../src/lib/format";
import { parameterFields, parseParameter, parseParameters } from "../src/lib/params";
import { goldenSpec } from "./golden";
import { pipelineParameters } from "../src/lib/spec";

describe("parameterFields", () => {
  it("fills defaults as text and marks what is required", () => {
    const fields = parameterFields({
      epochs: { parameterType: "NUMBER_INTEGER", defaultValue: 50, isOptional: true },
      rates: { parameterType: "LIST", defaultValue: [0.1, 0.2] },
      name: { parameterType: "STRING" },
      flag: { parameterType: "BOOLEAN" },
    });
    expect(fields.map((field) => [field.name, field.initialText, field.required])).toEqual([
      ["epochs", "50", false],
      ["rates", "[0.1,0.2]", false],
      ["name", "", true],
      ["flag", "false", true],
    ]);
  });

  it("reads a compiled pipeline's parameters", () => {
    const fields = parameterFields(pipelineParameters(goldenSpec("training")));
    expect(fields.find((field) => field.name === "learning_rate")!.type).toBe("NUMBER_DOUBLE");
  });
});

describe("parseParameter", () => {
  const field = (type: Parameters<typeof parameterFields>[0][string]["parameterType"], required = true) => ({
    name: "p",
    type: type!,
    required,
    initialText: "",
  });

  it("checks each type", () => {
    expect(parseParameter(field("NUMBER_INTEGER"), " 42 ")).toEqual({ ok: true, value: 42 });
    expect(parseParameter(field("NUMBER_INTEGER"), "4.2")).toMatchObject({ ok: false });
    expect(parseParameter(field("NUMBER_DOUBLE"), "1e-3")).toEqual({ ok: true, value: 0.001 });
    expect(parseParameter(field("NUMBER_DOUBLE"), "abc")).toMatchObject({ ok: false, error: "must be a number" });
    expect(parseParameter(field("BOOLEAN"), "true")).toEqual({ ok: true, value: true });
    expect(parseParameter(field("BOOLEAN"), "yes")).toMatchObject({ ok: false });
    expect(parseParameter(field("LIST"), "[1, 2]")).toEqual({ ok: true, value: [1, 2] });
    expect(parseParameter(field("LIST"), '{"a": 1}')).toMatchObject({ ok: false });
    expect(parseParameter(field("STRUCT"), '{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseParameter(field("STRUCT"), "[1]")).toMatchObject({ ok: false });
    expect(parseParameter(field("STRING"), " spaced ")).toEqual({ ok: true, value: " spaced " });
  });

  it("requires required values, and leaves empty optional ones to their default", () => {
    expect(parseParameter(field("NUMBER_INTEGER"), "")).toEqual({ ok: false, error: "required" });
    expect(parseParameter(field("STRING"), "")).toEqual({ ok: false, error: "required" });
    expect(parseParameter(field("NUMBER_INTEGER", false), "")).toEqual({ ok: true, value: undefined });
  });

  it("collects values and errors for a whole form", () => {
    const fields = parameterFields({
      a: { parameterType: "NUMBER_INTEGER", defaultValue: 1 },
      b: { parameterType: "NUMBER_DOUBLE" },
      c: { parameterType: "STRING", defaultValue: "x" },
    });
    expect(parseParameters(fields, { b: "nope" })).toEqual({ values: { a: 1, c: "x" }, errors: { b: "must be a number" } });
  });
});

describe("compareRows", () => {
  it("lines values up by name and flags differences", () => {
    expect(compareRows([{ lr: 0.1, epochs: 5 }, { lr: 0.2, epochs: 5 }, { epochs: 5 }])).toEqual([
      { name: "epochs", cells: ["5", "5", "5"], differs: false },
      { name: "lr", cells: ["0.1", "0.2", ""], differs: true },
    ]);
  });
});

describe("format", () => {
  it("formats durations and values", () => {
    expect(formatDuration("2024-01-01T00:00:00Z", "2024-01-01T00:01:05Z")).toBe("1m 5s");
    expect(formatDuration("2024-01-01T00:00:00Z", undefined, Date.parse("2024-01-01T00:00:03Z"))).toBe("3.0s");
    expect(formatDuration(undefined, undefined)).toBe("–");
    expect(formatValue(0.1 + 0.2)).toBe("0.3");
    expect(formatValue({ a: [1] })).toBe('{"a":[1]}');
  });
});
