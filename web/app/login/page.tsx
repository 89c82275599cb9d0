import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/login-form";
import { safeNextPath } from "@/lib/validations/auth";
import { getPageUser } from "@/server/page-session";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  if (await getPageUser()) redirect(next);

  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Chat
        </div>
        <h1>Sign in</h1>
        <p className="muted">We will email you a link that signs you in. No password needed.</p>
        {params.error ? (
          <p className="banner banner-error" role="alert">
            That sign-in link is invalid or has expired. Ask for a new one below.
          </p>
        ) : null}
        <LoginForm next={next} />
        {process.env.NODE_ENV !== "production" ? (
          <p className="auth-footnote">
            Developing locally? Sign-in emails land in the <a href="/dev/mailbox">dev mailbox</a>.
          </p>
        ) : null}
      </div>
    </main>
  );
}
