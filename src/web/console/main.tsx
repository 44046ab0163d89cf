// The admin console: programs and plans, the application queue, affiliates, commissions,
// customers, fraud flags, payout runs, API keys and the dev mailbox.
import { StrictMode, createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import '../ui/styles.css';
import { del, post, useResource } from '../lib/api.js';
import { Link, match, navigate, useLocation } from '../lib/router.js';
import type { Program, Session } from '../lib/types.js';
import { Button, Field, FormError, Loading, ToastProvider, useAction } from '../ui/kit.js';
import { SessionProvider, useSession } from '../portal/session.js';
import { OverviewPage, ProgramEditPage, ProgramsPage } from './programs.js';
import { AffiliateDetailPage, AffiliatesPage, ApplicationsPage, CommissionsPage, CustomersPage, FraudPage } from './people.js';
import { PayoutRunPage, PayoutsPage } from './payouts.js';
import { KeysPage, MailboxPage } from './system.js';

// The program the console is looking at, shared by every page (kept across reloads).
const ProgramCtx = createContext<{ slug: string; setSlug: (s: string) => void; programs: Program[] }>({ slug: '', setSlug: () => {}, programs: [] });
export const useProgram = () => useContext(ProgramCtx);

function ProgramProvider({ children }: { children: ReactNode }) {
  const programs = useResource<{ data: Program[] }>('/api/v1/programs');
  const [slug, setSlugState] = useState(() => localStorage.getItem('affable.console.program') ?? '');
  const list = programs.data?.data ?? [];
  useEffect(() => {
    if (list.length > 0 && !list.some((p) => p.slug === slug)) setSlugState(list[0]!.slug);
  }, [list, slug]);
  const setSlug = (s: string) => {
    localStorage.setItem('affable.console.program', s);
    setSlugState(s);
  };
  return <ProgramCtx.Provider value={{ slug, setSlug, programs: list }}>{children}</ProgramCtx.Provider>;
}

const NAV: [string, string][] = [
  ['/admin', 'Overview'],
  ['/admin/applications', 'Applications'],
  ['/admin/affiliates', 'Affiliates'],
  ['/admin/commissions', 'Commissions'],
  ['/admin/customers', 'Customers'],
  ['/admin/fraud', 'Fraud flags'],
  ['/admin/payouts', 'Payouts'],
  ['/admin/programs', 'Programs & plans'],
  ['/admin/keys', 'API keys'],
  ['/admin/mailbox', 'Mailbox'],
];

function Shell({ children, session }: { children: ReactNode; session: Session }) {
  const { path } = useLocation();
  const { set } = useSession();
  const { slug, setSlug, programs } = useProgram();
  const signOut = async () => {
    try {
      await del('/api/v1/session');
    } finally {
      set(null);
      navigate('/admin/login');
    }
  };
  return (
    <div className="console">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar">
        <Link to="/admin" className="brand">
          <span className="brand-mark" aria-hidden>
            A
          </span>
          <span className="brand-text">Affable Console</span>
        </Link>
        <div className="field" style={{ padding: '0 6px 10px' }}>
          <label htmlFor="program-switch" className="sr-only">
            Program
          </label>
          <select id="program-switch" className="select" value={slug} onChange={(e) => setSlug(e.target.value)} style={{ background: '#1e293b', color: 'white', borderColor: '#334155' }}>
            {programs.map((p) => (
              <option key={p.slug} value={p.slug}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <nav aria-label="Console">
          <div className="nav-label">Manage</div>
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} aria-current={(to === '/admin' ? path === '/admin' || path === '/admin/' : path.startsWith(to)) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div className="sidebar-foot">
          <div className="hide-sm">{session.admin?.name}</div>
          <div className="small hide-sm" style={{ color: '#64748b' }}>
            {session.admin?.email}
          </div>
          <Button size="sm" variant="ghost" onClick={signOut} style={{ color: '#cbd5e1', paddingLeft: 0 }}>
            Sign out
          </Button>
        </div>
      </aside>
      <main className="console-main" id="main">
        {children}
      </main>
    </div>
  );
}

function LoginPage() {
  const { set } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(async () => {
    const s = await post<Session>('/api/v1/console/session', { email, password });
    set(s);
    navigate('/admin');
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run();
  };
  return (
    <div className="auth" style={{ gridTemplateColumns: '1fr' }}>
      <main className="auth-panel" id="main" style={{ background: 'var(--bg)' }}>
        <div className="auth-box card card-body">
          <div className="brand" style={{ marginBottom: 20 }}>
            <span className="brand-mark" aria-hidden>
              A
            </span>
            <span>Affable Console</span>
          </div>
          <h2>Admin sign in</h2>
          <p className="sub">For program managers. Affiliates sign in at the portal.</p>
          <form className="form" onSubmit={submit} noValidate>
            <FormError error={action.error} />
            <Field label="Email" error={action.fieldError('email')}>
              {(p) => <input {...p} className="input" name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />}
            </Field>
            <Field label="Password" error={action.fieldError('password')}>
              {(p) => <input {...p} className="input" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
            </Field>
            <Button type="submit" variant="primary" block busy={action.busy}>
              Sign in
            </Button>
          </form>
        </div>
      </main>
    </div>
  );
}

function Routes() {
  const { path } = useLocation();
  const { session, loading } = useSession();
  const admin = session?.kind === 'admin' ? session : null;
  useEffect(() => {
    if (!loading && !admin && path !== '/admin/login') navigate('/admin/login', { replace: true });
  }, [loading, admin, path]);
  if (path === '/admin/login') return <LoginPage />;
  if (loading || !admin) return <Loading rows={4} />;
  let page: ReactNode;
  let p: Record<string, string> | null;
  if (path === '/admin' || path === '/admin/') page = <OverviewPage />;
  else if (path === '/admin/programs') page = <ProgramsPage />;
  else if ((p = match('/admin/programs/:slug', path))) page = <ProgramEditPage slug={p['slug']!} />;
  else if (path === '/admin/applications') page = <ApplicationsPage />;
  else if (path === '/admin/affiliates') page = <AffiliatesPage />;
  else if ((p = match('/admin/affiliates/:id', path))) page = <AffiliateDetailPage id={p['id']!} />;
  else if (path === '/admin/commissions') page = <CommissionsPage />;
  else if (path === '/admin/customers') page = <CustomersPage />;
  else if (path === '/admin/fraud') page = <FraudPage />;
  else if (path === '/admin/payouts') page = <PayoutsPage />;
  else if ((p = match('/admin/payouts/:id', path))) page = <PayoutRunPage id={p['id']!} />;
  else if (path === '/admin/keys') page = <KeysPage />;
  else if (path === '/admin/mailbox') page = <MailboxPage />;
  else page = <h1>Page not found</h1>;
  return (
    <ProgramProvider>
      <Shell session={admin}>{page}</Shell>
    </ProgramProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ToastProvider>
      <SessionProvider>
        <Routes />
      </SessionProvider>
    </ToastProvider>
  </StrictMode>,
);
