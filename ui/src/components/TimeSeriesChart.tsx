// A line chart of values over time (the serving pages' request rate, errors and latency), as plain SVG.

import type { Series } from "../lib/serving";
import { seriesColour } from "./Charts";

function niceMaximum(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function formatTick(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1).replace(/\.0$/, "");
  return Number(value.toPrecision(2)).toString();
}

function clock(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** Lines over a shared time axis; null values break a line. */
export function TimeSeriesChart({
  title,
  unit,
  series,
  width = 360,
  height = 160,
  minimumMaximum = 0,
  from,
  to,
}: {
  title: string;
  unit: string;
  series: Series[];
  width?: number;
  height?: number;
  minimumMaximum?: number;
  /** The time axis (seconds since the epoch); default: the series' own extent. */
  from?: number;
  to?: number;
}) {
  const margin = { left: 40, right: 10, top: 8, bottom: 22 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const times = series.flatMap((line) => line.points.map(([time]) => time));
  const start = from ?? (times.length ? Math.min(...times) : 0);
  const end = to ?? (times.length ? Math.max(...times) : 1);
  const values = series.flatMap((line) => line.points.map(([, value]) => value).filter((value): value is number => value !== null));
  const maximum = niceMaximum(Math.max(minimumMaximum, ...values, 0));
  const x = (time: number) => margin.left + ((time - start) / Math.max(1, end - start)) * plotWidth;
  const y = (value: number) => margin.top + (1 - value / maximum) * plotHeight;
  const ticks = [0, maximum / 2, maximum];
  const segments = (points: Array<[number, number | null]>) => {
    const runs: string[] = [];
    let current: string[] = [];
    for (const [time, value] of points) {
      if (value === null) {
        if (current.length) runs.push(current.join(" "));
        current = [];
      } else current.push(`${x(time).toFixed(1)},${y(value).toFixed(1)}`);
    }
    if (current.length) runs.push(current.join(" "));
    return runs;
  };
  return (
    <figure class="chart time-chart" style={{ width: `${width}px` }}>
      <figcaption class="chart-title">
        {title} <span class="muted">({unit})</span>
      </figcaption>
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title} over time`}>
        {ticks.map((tick) => (
          <g key={tick} class="chart-grid">
            <line x1={margin.left} y1={y(tick)} x2={width - margin.right} y2={y(tick)} />
            <text x={margin.left - 6} y={y(tick) + 4} text-anchor="end">
              {formatTick(tick)}
            </text>
          </g>
        ))}
        <g class="chart-grid">
          <text x={margin.left} y={height - 6} text-anchor="start">
            {clock(start)}
          </text>
          <text x={width - margin.right} y={height - 6} text-anchor="end">
            {clock(end)}
          </text>
        </g>
        {values.length ? null : (
          <text class="chart-empty" x={margin.left + plotWidth / 2} y={margin.top + plotHeight / 2} text-anchor="middle">
            No requests in this time
          </text>
        )}
        {series.map((line, index) =>
          segments(line.points).map((points, part) =>
            points.includes(" ") ? (
              <polyline key={`${line.label}-${part}`} class="time-line" stroke={seriesColour(index)} points={points} data-series={line.label} />
            ) : (
              <circle key={`${line.label}-${part}`} r="2" fill={seriesColour(index)} cx={points.split(",")[0]} cy={points.split(",")[1]} />
            ),
          ),
        )}
      </svg>
      <div class="legend">
        {series.map((line, index) => (
          <span key={line.label}>
            <span class="swatch" style={{ background: seriesColour(index) }} /> {line.label}
          </span>
        ))}
      </div>
    </figure>
  );
}
