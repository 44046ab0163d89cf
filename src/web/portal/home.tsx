// The portal's frame (top bar, navigation) and its home: every program with the application's state.
import type { ReactNode } from 'react';
import { del, useResource } from '../lib/api.js';
import { Link, navigate, useLocation } from '../lib/router.js';
import { date, percent } from '../lib/format.js';
import type { Affiliate, Enrolment, PublicProgram } from '../lib/types.js';
import { Button, Card, Empty, Loaded, PageHead, StatusBadge } from '../ui/kit.js';
import { useSession } from './session.js';
import { Brand } from './auth.js';

export function PortalShell({ affiliate, children }: { affiliate: Affiliate; children: ReactNode }) {
  const { path } = useLocation();
  const { set } = useSession();
  const approved = affiliate.enrolments.filter((e) => e.status === 'approved');
  const current = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`)) || undefined;
  const signOut = async () => {
    try {
      await del('/api/v1/session');
    } finally {
      set(null);
      navigate('/login');
    }
  };
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Brand />
          <nav className="topnav" aria-label="Main">
            <Link to="/" aria-current={current('/') && 'page'}>
              Programs
            </Link>
            {approved.map((e) => (
              <Link key={e.program} to={`/p/${e.program}`} aria-current={current(`/p/${e.program}`) && 'page'}>
                <span style={{ textTransform: 'capitalize' }}>{e.program}</span>
              </Link>
            ))}
            <Link to="/settings" aria-current={current('/settings') && 'page'}>
              Payments &amp; account
            </Link>
          </nav>
          <div className="topbar-right">
            <span className="hide-sm small muted">{affiliate.username}</span>
            <span className="avatar" aria-hidden>
              {affiliate.name.slice(0, 1)}
            </span>
            <Button size="sm" variant="ghost" onClick={signOut}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main className="main" id="main">
        {children}
      </main>
    </div>
  );
}

export function enrolmentIn(affiliate: Affiliate, slug: string): Enrolment | undefined {
  return affiliate.enrolments.find((e) => e.program === slug);
}

export function HomePage({ affiliate }: { affiliate: Affiliate }) {
  const programs = useResource<{ data: PublicProgram[] }>('/api/v1/portal/programs');
  return (
    <>
      <PageHead title={`Hi ${affiliate.name.split(' ')[0]}`} subtitle="Apply to each program separately: approval in one grants nothing in another." />
      <Card title="Programs">
        <Loaded resource={programs}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty title="No programs yet">The merchant has not opened a program.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Program</th>
                      <th className="hide-sm">Commissions</th>
                      <th>Status</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((p) => {
                      const e = enrolmentIn(affiliate, p.slug);
                      const top = Math.max(...p.tiers.map((t) => t.rates.month.recurring_bps));
                      return (
                        <tr key={p.slug}>
                          <td>
                            <strong>{p.name}</strong>
                            <div className="small muted">{p.cookie_days}-day cookie · paid monthly</div>
                          </td>
                          <td className="hide-sm">
                            up to {percent(top)} recurring · {percent(p.jv_rate_bps)} second tier
                          </td>
                          <td>
                            {e ? <StatusBadge status={e.status} /> : <span className="muted small">Not applied</span>}
                            {e && <div className="small muted">since {date(e.decided_at ?? e.applied_at)}</div>}
                          </td>
                          <td className="right">
                            {e?.status === 'approved' ? (
                              <Link className="btn btn-primary btn-sm" to={`/p/${p.slug}`}>
                                Open dashboard
                              </Link>
                            ) : e && e.status !== 'denied' ? (
                              <Link className="btn btn-sm" to={`/p/${p.slug}`}>
                                View status
                              </Link>
                            ) : (
                              <Link className="btn btn-sm" to={`/apply/${p.slug}`}>
                                {e ? 'Reapply' : 'Apply'}
                              </Link>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
    </>
  );
}
