"use client";

import { useState, type FormEvent } from "react";
import { ApiError, apiFetch } from "@/lib/client/api";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";

type FormState =
  { status: "idle" } | { status: "sending" } | { status: "sent"; email: string } | { status: "error"; message: string; field?: boolean };

function describeLoginError(error: unknown): { message: string; field?: boolean } {
  if (error instanceof ApiError) {
    if (error.code === "invalid_email" || error.status === 400 || error.status === 422) {
      return { message: "That does not look like an email address.", field: true };
    }
    if (error.code === "rate_limited" || error.status === 429) {
      return { message: "Too many sign-in attempts. Wait a minute, then try again." };
    }
    if (error.status === 0) return { message: error.message };
  }
  return { message: "Something went wrong sending your link. Try again." };
}

export function LoginForm({ next = "/chat" }: { next?: string }) {
  const [email, setEmail] = useState("");
  const [state, setState] = useState<FormState>({ status: "idle" });

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const address = email.trim();
    setState({ status: "sending" });
    try {
      await apiFetch("/api/auth/login", { method: "POST", json: { email: address, next } });
      setState({ status: "sent", email: address });
    } catch (error) {
      setState({ status: "error", ...describeLoginError(error) });
    }
  };

  if (state.status === "sent") {
    return (
      <div className="mt-6 rounded-xl bg-primary-soft p-4" role="status" data-testid="login-sent">
        <h2 className="mb-1 text-base font-bold">Check your email</h2>
        <p>
          We sent a sign-in link to <strong>{state.email}</strong>. Open it on this device to continue.
        </p>
        <Button variant="link" className="mt-2" onClick={() => setState({ status: "idle" })}>
          Use a different email
        </Button>
      </div>
    );
  }

  const fieldError = state.status === "error" && state.field;
  return (
    <form className="mt-6 flex flex-col gap-3" onSubmit={submit}>
      <Label htmlFor="login-email" spacing="none" className="-mb-[0.4rem]">
        Email
      </Label>
      <Input
        id="login-email"
        name="email"
        type="email"
        data-testid="login-email"
        autoComplete="email"
        required
        autoFocus
        placeholder="you@example.com"
        value={email}
        onChange={(event) => setEmail(event.target.value)}
        aria-invalid={fieldError || undefined}
        aria-describedby={state.status === "error" ? "login-error" : undefined}
      />
      {state.status === "error" ? (
        <p id="login-error" className="text-sm text-destructive" role="alert">
          {state.message}
        </p>
      ) : null}
      <Button type="submit" variant="primary" size="block" data-testid="login-submit" disabled={state.status === "sending"}>
        {state.status === "sending" ? "Sending link…" : "Email me a sign-in link"}
      </Button>
    </form>
  );
}
