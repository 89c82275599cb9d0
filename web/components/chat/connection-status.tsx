import type { ConnectionState } from "@/lib/client/socket";
import { cn } from "@/lib/utils";
import { Badge } from "@/components/ui/badge";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out",
};

const DOTS: Record<ConnectionState, string> = {
  connecting: "bg-warning animate-blink",
  connected: "bg-success",
  reconnecting: "bg-warning animate-blink",
  "signed-out": "bg-destructive",
};

export function ConnectionStatus({ state }: { state: ConnectionState }) {
  return (
    <Badge
      variant={state === "reconnecting" ? "secondary-warning" : "secondary"}
      data-testid="connection-status"
      data-state={state}
      role="status"
    >
      <span className={cn("size-2 rounded-full", DOTS[state])} aria-hidden="true" />
      {LABELS[state]}
    </Badge>
  );
}
