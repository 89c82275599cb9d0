import type { SupabaseClient } from "@supabase/supabase-js";
import type { AuthUser } from "@/lib/types";
import type { AuthProvider } from "@/server/auth/types";
import { mapAuthError } from "./errors";

/** Supabase Auth through @supabase/ssr: the session lives in Supabase's cookies. */
export function createSupabaseAuth(supabase: SupabaseClient, { appUrl }: { appUrl: string }): AuthProvider {
  const toUser = (user: { id: string; email?: string | null } | null | undefined): AuthUser => {
    if (!user?.id) throw mapAuthError(new Error("Supabase returned no user"));
    return { id: user.id, email: user.email ?? "" };
  };

  return {
    async sendMagicLink({ email, next }) {
      const redirectTo = new URL("/auth/callback", appUrl);
      redirectTo.searchParams.set("next", next);
      const { error } = await supabase.auth.signInWithOtp({
        email,
        options: { emailRedirectTo: redirectTo.toString(), shouldCreateUser: true },
      });
      if (error) throw mapAuthError(error);
    },

    async verifyMagicLink({ tokenHash, type }) {
      const { data, error } = await supabase.auth.verifyOtp({ token_hash: tokenHash, type });
      if (error) throw mapAuthError(error);
      return toUser(data.user);
    },

    async exchangeCode(code) {
      const { data, error } = await supabase.auth.exchangeCodeForSession(code);
      if (error) throw mapAuthError(error);
      return toUser(data.user);
    },

    async getUser() {
      // getClaims() verifies the JWT (by the project's JWKS, or by asking Auth for legacy
      // secrets); a bare getSession() would trust whatever the cookie says.
      const { data, error } = await supabase.auth.getClaims();
      if (error || !data?.claims?.sub || data.claims.role !== "authenticated") return null;
      return { id: data.claims.sub, email: typeof data.claims.email === "string" ? data.claims.email : "" };
    },

    async getAccessToken() {
      const user = await this.getUser();
      if (!user) return null;
      // Verified above; the session holds the (possibly just refreshed) token itself.
      const { data } = await supabase.auth.getSession();
      const session = data.session;
      if (!session?.access_token || session.user.id !== user.id) return null;
      return { accessToken: session.access_token, expiresAt: new Date((session.expires_at ?? 0) * 1000), user };
    },

    async signOut() {
      const { data } = await supabase.auth.getClaims();
      const { error } = await supabase.auth.signOut({ scope: "local" });
      if (error && error.status !== 401 && error.status !== 403) throw mapAuthError(error);
      const claims = data?.claims;
      if (!claims?.sub) return null;
      return { userId: claims.sub, sessionId: typeof claims.session_id === "string" ? claims.session_id : null };
    },
  };
}
