import type { ConnectionState } from "@/lib/client/socket";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out",
};

export function ConnectionStatus({ state }: { state: ConnectionState }) {
  return (
    <div className="connection-status" data-testid="connection-status" data-state={state} role="status">
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[state]}
    </div>
  );
}
