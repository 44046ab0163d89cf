// The signed-in affiliate, loaded once from GET /api/v1/session (which also hands out the CSRF token).
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiError, get, setCsrfToken } from '../lib/api.js';
import type { Session } from '../lib/types.js';

interface SessionState {
  session: Session | null;
  loading: boolean;
  refresh: () => Promise<Session | null>;
  set: (s: Session | null) => void;
}

const Ctx = createContext<SessionState>({ session: null, loading: true, refresh: async () => null, set: () => {} });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [loading, setLoading] = useState(true);
  const set = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrf_token ?? null);
    setSession(s);
  }, []);
  const refresh = useCallback(async () => {
    try {
      const s = await get<Session>('/api/v1/session');
      set(s);
      return s;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) set(null);
      return null;
    } finally {
      setLoading(false);
    }
  }, [set]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return <Ctx.Provider value={{ session, loading, refresh, set }}>{children}</Ctx.Provider>;
}

export const useSession = () => useContext(Ctx);
