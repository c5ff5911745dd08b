import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

/** Who is signed in: a person (customer or platform admin), and the store they work in. */
export type Session = {
  person?: { token: string; email: string; admin: boolean };
  vendor?: { token: string; name: string; role: string };
};

type SessionApi = Session & {
  signIn: (token: string, email: string, admin: boolean) => void;
  enterStore: (token: string, name: string, role: string) => void;
  signOut: () => void;
};

const KEY = "souk.session";
const Context = createContext<SessionApi | null>(null);

function read(): Session {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? "{}") as Session;
  } catch {
    return {};
  }
}

/** The token for a request to the API: the store's inside the vendor dashboard. */
export function tokenFor(area: "person" | "vendor"): string | undefined {
  const session = read();
  return area === "vendor" ? session.vendor?.token : session.person?.token;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session>(read);
  const update = useCallback((next: Session) => {
    sessionStorage.setItem(KEY, JSON.stringify(next));
    setSession(next);
  }, []);
  const api = useMemo<SessionApi>(
    () => ({
      ...session,
      signIn: (token, email, admin) => update({ person: { token, email, admin } }),
      enterStore: (token, name, role) => update({ ...read(), vendor: { token, name, role } }),
      signOut: () => update({}),
    }),
    [session, update],
  );
  return <Context.Provider value={api}>{children}</Context.Provider>;
}

export function useSession(): SessionApi {
  const api = useContext(Context);
  if (!api) throw new Error("useSession outside SessionProvider");
  return api;
}
