// The affiliate portal: sign-up and application, login, the per-program dashboard, payment settings.
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import '../ui/styles.css';
import { match, navigate, useLocation } from '../lib/router.js';
import { Loading, ToastProvider } from '../ui/kit.js';
import { SessionProvider, useSession } from './session.js';
import { ForgotPage, LoginPage, ResetPage, SignupPage } from './auth.js';
import { ApplyPage } from './apply.js';
import { HomePage, PortalShell } from './home.js';
import { ProgramPage } from './program.js';
import { SettingsPage } from './settings.js';

const PUBLIC = ['/login', '/signup', '/forgot', '/reset'];

function Routes() {
  const { path, query } = useLocation();
  const { session, loading } = useSession();
  const isPublic = PUBLIC.includes(path);
  const affiliate = session?.kind === 'affiliate' ? session.affiliate : undefined;

  useEffect(() => {
    if (loading) return;
    if (!affiliate && !isPublic) navigate(`/login${path !== '/' ? `?next=${encodeURIComponent(path)}` : ''}`, { replace: true });
  }, [loading, affiliate, isPublic, path]);

  if (path === '/login') return <LoginPage next={query.get('next')} />;
  if (path === '/signup') return <SignupPage program={query.get('program')} jv={query.get('jv')} />;
  if (path === '/forgot') return <ForgotPage />;
  if (path === '/reset') return <ResetPage token={query.get('token') ?? ''} />;
  if (loading || !affiliate) return <Loading rows={4} />;

  let page;
  let params: Record<string, string> | null;
  if (path === '/' || path === '') page = <HomePage affiliate={affiliate} />;
  else if ((params = match('/apply/:slug', path))) page = <ApplyPage slug={params['slug']!} affiliate={affiliate} />;
  else if ((params = match('/p/:slug', path))) page = <ProgramPage slug={params['slug']!} tab="overview" affiliate={affiliate} />;
  else if ((params = match('/p/:slug/:tab', path))) page = <ProgramPage slug={params['slug']!} tab={params['tab']!} affiliate={affiliate} />;
  else if (path === '/settings') page = <SettingsPage />;
  else
    page = (
      <div className="card card-body">
        <h1>Page not found</h1>
        <p className="muted">This address does not exist in the portal.</p>
      </div>
    );
  return <PortalShell affiliate={affiliate}>{page}</PortalShell>;
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
