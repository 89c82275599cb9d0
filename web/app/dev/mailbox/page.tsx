import type { Metadata } from "next";
import { DevMailbox } from "@/components/dev-mailbox";

export const metadata: Metadata = { title: "Dev mailbox", robots: { index: false } };

export default async function DevMailboxPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { email } = await searchParams;
  return (
    <main className="mailbox-page">
      <header className="mailbox-header">
        <p className="dev-badge">Development tool</p>
        <h1>Dev mailbox</h1>
        <p className="muted">
          Emails the app would have sent, kept in memory on this server instead. Open a sign-in link to log in as that
          user. This page is not available in production.
        </p>
      </header>
      <DevMailbox initialEmail={typeof email === "string" ? email : ""} />
    </main>
  );
}
