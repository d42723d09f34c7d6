import type { RuntimeState } from "../api/types";

const LABELS: Record<RuntimeState, string> = {
  RUNTIME_STATE_UNSPECIFIED: "Unknown",
  PENDING: "Pending",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  SKIPPED: "Skipped",
  FAILED: "Failed",
  CANCELING: "Canceling",
  CANCELED: "Canceled",
  PAUSED: "Paused",
};

// A symbol as well as a colour, so states read without colour vision.
const ICONS: Record<RuntimeState, string> = {
  RUNTIME_STATE_UNSPECIFIED: "?",
  PENDING: "○",
  RUNNING: "◐",
  SUCCEEDED: "✓",
  SKIPPED: "–",
  FAILED: "✕",
  CANCELING: "◌",
  CANCELED: "⊘",
  PAUSED: "॥",
};

export function stateLabel(state: RuntimeState | undefined): string {
  return LABELS[state ?? "RUNTIME_STATE_UNSPECIFIED"] ?? state ?? "Unknown";
}

export function stateIcon(state: RuntimeState | undefined): string {
  return ICONS[state ?? "RUNTIME_STATE_UNSPECIFIED"] ?? "?";
}

export function stateClass(state: RuntimeState | undefined): string {
  return `state-${(state ?? "RUNTIME_STATE_UNSPECIFIED").toLowerCase()}`;
}

export const ACTIVE_STATES: ReadonlySet<RuntimeState | undefined> = new Set(["PENDING", "RUNNING", "CANCELING"]);

export function StateBadge({ state, cached }: { state: RuntimeState | undefined; cached?: boolean }) {
  return (
    <span class={`badge ${stateClass(state)}`} data-state={state}>
      <span aria-hidden="true">{stateIcon(state)}</span> {stateLabel(state)}
      {cached ? <span class="cached-mark"> · cached</span> : null}
    </span>
  );
}
