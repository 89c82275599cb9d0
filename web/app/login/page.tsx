import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Banner } from "@/components/banner";
import { Brand } from "@/components/brand";
import { LoginForm } from "@/components/login-form";
import { safeNextPath } from "@/lib/validations/auth";
import { getPageUser } from "@/server/page-session";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  if (await getPageUser()) redirect(next);

  return (
    <main className="grid min-h-dvh place-items-center bg-background bg-[radial-gradient(60rem_30rem_at_50%_-10%,color-mix(in_srgb,var(--primary)_14%,transparent),transparent)] p-6">
      <div className="w-full max-w-96 rounded-2xl border border-border bg-card p-8 shadow-elevation-lg">
        <Brand />
        <h1 className="mt-6 text-2xl font-bold tracking-[-0.02em]">Sign in</h1>
        <p className="mt-1 text-muted-foreground">We will email you a link that signs you in. No password needed.</p>
        {params.error ? (
          <Banner variant="error" className="mt-4 rounded-lg" role="alert">
            That sign-in link is invalid or has expired. Ask for a new one below.
          </Banner>
        ) : null}
        <LoginForm next={next} />
        {process.env.NODE_ENV !== "production" ? (
          <p className="mt-6 text-[0.8rem] text-muted-foreground">
            Developing locally? Sign-in emails land in the <a href="/dev/mailbox">dev mailbox</a>.
          </p>
        ) : null}
      </div>
    </main>
  );
}
