// Named values (parameters, metrics) and a state history: the same small tables on several pages.

import type { RuntimeStatus } from "../api/types";
import { formatDate, formatValue } from "../lib/format";
import { stateLabel } from "./State";

export function KeyValueTable({
  values,
  numeric = false,
  label,
}: {
  values: Record<string, unknown>;
  numeric?: boolean;
  label?: string;
}) {
  return (
    <table class={`table compact${numeric ? " metrics-table" : ""}`} aria-label={label}>
      <tbody>
        {Object.entries(values).map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td class={numeric ? "numeric" : "mono wrap"}>{formatValue(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function StateHistory({ history }: { history: RuntimeStatus[] | undefined }) {
  if (!history?.length) return null;
  return (
    <>
      <h3>History</h3>
      <ol class="history">
        {history.map((entry, position) => (
          <li key={position}>
            <span class="mono">{formatDate(entry.update_time)}</span> {stateLabel(entry.state)}
            {entry.error?.message ? <span class="muted"> — {entry.error.message}</span> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
