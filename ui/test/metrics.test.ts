import { describe, expect, it } from "vitest";
import { parseCsv } from "../src/lib/csv";
import { areaUnderCurve, classificationMetrics, scalarMetrics } from "../src/lib/metrics";

describe("scalarMetrics", () => {
  it("keeps numbers, numeric strings, and drops the rest", () => {
    expect(scalarMetrics({ accuracy: 0.9, loss: "0.25", display_name: "metrics", note: "n/a", nested: {} })).toEqual({
      accuracy: 0.9,
      loss: 0.25,
    });
    expect(scalarMetrics(undefined)).toEqual({});
  });
});

describe("classificationMetrics", () => {
  const metadata = {
    confidenceMetrics: [
      { confidenceThreshold: 0.2, recall: 1, falsePositiveRate: 0.5 },
      { confidenceThreshold: 0.8, recall: 0.5, falsePositiveRate: 0 },
      { confidenceThreshold: "x", recall: "bad" },
    ],
    confusionMatrix: {
      annotationSpecs: [{ displayName: "cat" }, { displayName: "dog" }],
      rows: [{ row: [8, 2] }, { row: [1] }],
    },
  };

  it("reads the ROC curve sorted by false positive rate, skipping broken points", () => {
    const { roc } = classificationMetrics(metadata);
    expect(roc.map((point) => point.falsePositiveRate)).toEqual([0, 0.5]);
    expect(roc[0]!.truePositiveRate).toBe(0.5);
  });

  it("reads the confusion matrix, filling missing cells with zero", () => {
    expect(classificationMetrics(metadata).confusionMatrix).toEqual({
      categories: ["cat", "dog"],
      rows: [
        [8, 2],
        [1, 0],
      ],
    });
    expect(classificationMetrics({}).confusionMatrix).toBeUndefined();
  });

  it("computes the area under the curve", () => {
    expect(areaUnderCurve([])).toBeCloseTo(0.5);
    expect(areaUnderCurve([{ falsePositiveRate: 0, truePositiveRate: 1, threshold: 0.5 }])).toBeCloseTo(1);
  });
});

describe("parseCsv", () => {
  it("handles quotes, embedded commas and line breaks, and CRLF", () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",2')).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"'],
      ["multi\nline", "2"],
    ]);
  });

  it("stops after the requested number of rows", () => {
    expect(parseCsv("1\n2\n3\n", 2)).toEqual([["1"], ["2"]]);
  });
});
