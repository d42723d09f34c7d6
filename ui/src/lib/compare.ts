// Side-by-side rows for comparing runs: one row per name, one cell per run.

import { formatValue } from "./format";

export interface CompareRow {
  name: string;
  cells: string[];
  /** The runs disagree (a run without the value counts as a different value). */
  differs: boolean;
}

export function compareRows(perRun: Array<Record<string, unknown>>): CompareRow[] {
  const names = [...new Set(perRun.flatMap((values) => Object.keys(values)))].sort();
  return names.map((name) => {
    const cells = perRun.map((values) => (name in values ? formatValue(values[name]) : ""));
    return { name, cells, differs: new Set(cells).size > 1 };
  });
}
