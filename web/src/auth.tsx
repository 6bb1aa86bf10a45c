// Who is signed in: GET /api/auth/me on start, sign-in and sign-out, and the CSRF token for writes.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { ApiError, onUnauthorized, setCsrf } from "./api";
import { type Me, type Role, roleAllows } from "./api-types";
import { client, ok, quietClient } from "./client";

interface AuthState {
  me: Me | null;
  /** True until the first /api/auth/me answered. */
  checking: boolean;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  can(role: Role): boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);

  const loadMe = useCallback(async () => {
    try {
      const m = await ok(quietClient.auth.me.$get());
      setCsrf(m.csrfToken, m.csrfHeader);
      setMe(m);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
      setCsrf(null);
      setMe(null);
    } finally {
      setChecking(false);
    }
  }, []);

  useEffect(() => {
    loadMe().catch(() => setChecking(false));
    return onUnauthorized(() => {
      setCsrf(null);
      setMe(null);
    });
  }, [loadMe]);

  const value = useMemo<AuthState>(
    () => ({
      me,
      checking,
      async signIn(username, password) {
        await quietClient.auth.login.$post({ json: { username, password } });
        await loadMe();
      },
      async signOut() {
        try {
          await client.auth.logout.$post();
        } finally {
          setCsrf(null);
          setMe(null);
        }
      },
      can: (role) => roleAllows(me?.role, role),
    }),
    [me, checking, loadMe],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const a = useContext(AuthContext);
  if (!a) throw new Error("useAuth outside AuthProvider");
  return a;
}

/** Renders children only for users with at least `role` (the server enforces roles anyway). */
export function RequireRole({ need, children }: { need: Role; children: ReactNode }) {
  return useAuth().can(need) ? children : null;
}
