// Reading KFP metric artifacts' metadata: scalar Metrics, and ClassificationMetrics (ROC curve, confusion matrix).

export interface RocPoint {
  falsePositiveRate: number;
  truePositiveRate: number;
  threshold: number;
}

export interface ConfusionMatrix {
  categories: string[];
  /** rows[actual][predicted] */
  rows: number[][];
}

export interface ClassificationMetrics {
  roc: RocPoint[];
  confusionMatrix?: ConfusionMatrix;
}

type Metadata = Record<string, unknown>;

/** The numeric entries of a system.Metrics artifact (KFP stores each `log_metric` under its name). */
export function scalarMetrics(metadata: Metadata | undefined): Record<string, number> {
  const scalars: Record<string, number> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    if (name === "display_name") continue;
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof number === "number" && Number.isFinite(number)) scalars[name] = number;
  }
  return scalars;
}

export function classificationMetrics(metadata: Metadata | undefined): ClassificationMetrics {
  const result: ClassificationMetrics = { roc: rocCurve(metadata?.["confidenceMetrics"]) };
  const matrix = confusionMatrix(metadata?.["confusionMatrix"]);
  if (matrix) result.confusionMatrix = matrix;
  return result;
}

function rocCurve(points: unknown): RocPoint[] {
  if (!Array.isArray(points)) return [];
  const curve: RocPoint[] = [];
  for (const point of points) {
    if (!point || typeof point !== "object") continue;
    const record = point as Record<string, unknown>;
    const fpr = Number(record["falsePositiveRate"]);
    const tpr = Number(record["recall"]);
    if (!Number.isFinite(fpr) || !Number.isFinite(tpr)) continue;
    curve.push({ falsePositiveRate: fpr, truePositiveRate: tpr, threshold: Number(record["confidenceThreshold"]) });
  }
  return curve.sort((a, b) => a.falsePositiveRate - b.falsePositiveRate || a.truePositiveRate - b.truePositiveRate);
}

function confusionMatrix(value: unknown): ConfusionMatrix | undefined {
  if (!value || typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;
  const specs = record["annotationSpecs"];
  const rows = record["rows"];
  if (!Array.isArray(specs) || !Array.isArray(rows)) return undefined;
  const categories = specs.map((spec) => String((spec as Record<string, unknown> | null)?.["displayName"] ?? ""));
  const cells = rows.map((row) => {
    const values = (row as Record<string, unknown> | null)?.["row"];
    return categories.map((_, column) => Number(Array.isArray(values) ? values[column] : 0) || 0);
  });
  return { categories, rows: cells };
}

/** Area under a ROC curve by the trapezoid rule, from (0,0) to (1,1). */
export function areaUnderCurve(curve: RocPoint[]): number {
  const points = [{ falsePositiveRate: 0, truePositiveRate: 0 }, ...curve, { falsePositiveRate: 1, truePositiveRate: 1 }];
  let area = 0;
  for (let index = 1; index < points.length; index++) {
    const previous = points[index - 1]!;
    const point = points[index]!;
    area += ((point.falsePositiveRate - previous.falsePositiveRate) * (point.truePositiveRate + previous.truePositiveRate)) / 2;
  }
  return area;
}
