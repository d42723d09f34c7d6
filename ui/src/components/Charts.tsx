// ROC curves and confusion matrices, drawn as plain SVG and HTML.

import { areaUnderCurve, type ConfusionMatrix, type RocPoint } from "../lib/metrics";

const SERIES_COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f"];

export function seriesColour(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length]!;
}

export interface RocSeries {
  label: string;
  points: RocPoint[];
}

/** ROC curves on one plot, with the diagonal of a random classifier for reference. */
export function RocChart({ series, size = 320 }: { series: RocSeries[]; size?: number }) {
  const margin = { left: 44, right: 12, top: 12, bottom: 40 };
  const plot = size - margin.left - margin.right;
  const x = (fpr: number) => margin.left + fpr * plot;
  const y = (tpr: number) => margin.top + (1 - tpr) * plot;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <figure class="chart">
      <svg
        width={size}
        height={size}
        viewBox={`0 0 ${size} ${size}`}
        role="img"
        aria-label={`ROC curve${series.length > 1 ? "s" : ""}: ${series.map((item) => `${item.label} AUC ${areaUnderCurve(item.points).toFixed(3)}`).join(", ")}`}
      >
        {ticks.map((tick) => (
          <g key={tick} class="chart-grid">
            <line x1={x(tick)} y1={y(0)} x2={x(tick)} y2={y(1)} />
            <line x1={x(0)} y1={y(tick)} x2={x(1)} y2={y(tick)} />
            <text x={x(tick)} y={y(0) + 14} text-anchor="middle">
              {tick}
            </text>
            <text x={x(0) - 6} y={y(tick) + 4} text-anchor="end">
              {tick}
            </text>
          </g>
        ))}
        <line class="chart-diagonal" x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} />
        {series.map((item, index) => (
          <polyline
            key={item.label}
            class="roc-line"
            stroke={seriesColour(index)}
            points={[{ falsePositiveRate: 0, truePositiveRate: 0 }, ...item.points, { falsePositiveRate: 1, truePositiveRate: 1 }]
              .map((point) => `${x(point.falsePositiveRate)},${y(point.truePositiveRate)}`)
              .join(" ")}
          />
        ))}
        <text class="chart-axis" x={margin.left + plot / 2} y={size - 6} text-anchor="middle">
          False positive rate
        </text>
        <text class="chart-axis" transform={`translate(12,${margin.top + plot / 2}) rotate(-90)`} text-anchor="middle">
          True positive rate
        </text>
      </svg>
      <figcaption class="legend">
        {series.map((item, index) => (
          <span key={item.label}>
            <span class="swatch" style={{ background: seriesColour(index) }} /> {item.label} (AUC{" "}
            {areaUnderCurve(item.points).toFixed(3)})
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export function ConfusionMatrixView({ matrix, caption }: { matrix: ConfusionMatrix; caption?: string }) {
  const largest = Math.max(1, ...matrix.rows.flat());
  return (
    <table class="confusion-matrix">
      {caption ? <caption>{caption}</caption> : null}
      <thead>
        <tr>
          <th scope="col" class="corner">
            actual ↓ / predicted →
          </th>
          {matrix.categories.map((category) => (
            <th key={category} scope="col">
              {category}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.rows.map((row, rowIndex) => (
          <tr key={matrix.categories[rowIndex]}>
            <th scope="row">{matrix.categories[rowIndex]}</th>
            {row.map((value, column) => {
              const strength = value / largest;
              return (
                <td
                  key={column}
                  style={{ background: `rgba(37, 99, 235, ${(0.08 + 0.82 * strength).toFixed(2)})` }}
                  class={strength > 0.55 ? "dark-cell" : ""}
                >
                  {value}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
