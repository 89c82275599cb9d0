// Moved to the client core (notifications name people too); components keep importing it from here.
export * from "@/lib/chat/format";
