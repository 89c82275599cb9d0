import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { DevMailbox } from "@/components/dev-mailbox";
import { getServices } from "@/server/context";
import { isLoopbackRequest } from "@/server/peer-address";
import { Badge } from "@/components/ui/badge";

export const metadata: Metadata = { title: "Dev mailbox", robots: { index: false } };

export default async function DevMailboxPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // Like its API: only in development with the embedded issuer, and only for this machine.
  // Reading the headers first also keeps this page out of the build's prerendering.
  if (!isLoopbackRequest(await headers())) notFound();
  const { devMailbox } = await getServices();
  if (!devMailbox) notFound();
  const { email } = await searchParams;
  return (
    <main className="mx-auto max-w-[52rem] px-5 py-10">
      <header>
        <Badge variant="outline">Development tool</Badge>
        <h1 className="mt-2 mb-[0.35rem] text-[1.6rem] font-bold tracking-[-0.02em]">Dev mailbox</h1>
        <p className="text-muted-foreground">
          Emails the app would have sent, kept in memory on this server instead. Open a sign-in link to log in as that user. This page
          answers requests from this machine only, and is not available in production.
        </p>
      </header>
      <DevMailbox initialEmail={typeof email === "string" ? email : ""} />
    </main>
  );
}
