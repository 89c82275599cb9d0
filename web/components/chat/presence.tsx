import { useEffect, useState } from "react";
import type { PresenceState } from "socket-server/contract";
import { formatLastSeen } from "./format";

const TICK_MS = 30_000;

/** The current time, refreshed every `intervalMs`, for labels such as "last seen 5 min ago". */
export function useNow(intervalMs = TICK_MS): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "Online", "Last seen 5 min ago", or null while unknown (not answered yet, or never seen). */
export function presenceLabel(presence: PresenceState | undefined, now: Date): string | null {
  if (!presence) return null;
  if (presence.online) return "Online";
  if (!presence.lastSeenAt) return null;
  const label = formatLastSeen(presence.lastSeenAt, now);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

export function PresenceText({ presence }: { presence: PresenceState | undefined }) {
  const now = useNow();
  const label = presenceLabel(presence, now);
  if (!label) return null;
  return (
    <span
      className="peer data-online:font-semibold data-online:text-success-foreground"
      data-testid="peer-presence"
      data-online={presence?.online || undefined}
    >
      {label}
    </span>
  );
}
