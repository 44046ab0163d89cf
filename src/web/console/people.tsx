// The people side of the console: the application queue, affiliates (search, detail, dismiss),
// commissions with their explanations, customers (R3.2 reassignment) and fraud flags (R4.5).
import { useState, type FormEvent } from 'react';
import { post, qs, useResource, type ApiError } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { count, date, money, percent, tierName } from '../lib/format.js';
import type { Affiliate, Application, Balance, TierCard } from '../lib/types.js';
import { Badge, Button, Card, Empty, Field, FormError, Loaded, Modal, PageHead, StatusBadge, useAction, useToast } from '../ui/kit.js';
import { CommissionList } from '../portal/program.js';
import { useProgram } from './main.js';

function ReasonModal({ title, open, onClose, onSubmit, busy, error, cta, danger }: { title: string; open: boolean; onClose: () => void; onSubmit: (reason: string) => void; busy: boolean; error: ApiError | null; cta: string; danger?: boolean }) {
  const [reason, setReason] = useState('');
  return (
    <Modal open={open} onClose={onClose} title={title}>
      <form className="form" noValidate onSubmit={(e) => { e.preventDefault(); onSubmit(reason); }}>
        <FormError error={error} />
        <Field label="Reason" hint="The affiliate sees it." error={error?.fieldError('reason')}>
          {(p) => <textarea {...p} className="textarea" name="reason" value={reason} onChange={(e) => setReason(e.target.value)} rows={3} autoFocus />}
        </Field>
        <Button type="submit" variant={danger ? 'danger' : 'primary'} busy={busy}>{cta}</Button>
      </form>
    </Modal>
  );
}

export function ApplicationsPage() {
  const { slug } = useProgram();
  const [status, setStatus] = useState('pending');
  const apps = useResource<{ data: Application[] }>(slug ? `/api/v1/console/applications${qs({ program: slug, status })}` : null);
  const toast = useToast();
  const [denying, setDenying] = useState<Application | null>(null);
  const approve = useAction(async (a: Application) => {
    await post(`/api/v1/applications/${a.id}/approve`);
    toast(`${a.affiliate?.name ?? 'Affiliate'} approved`);
    apps.reload();
  });
  const deny = useAction(async (reason: string) => {
    await post(`/api/v1/applications/${denying!.id}/deny`, { reason });
    toast('Application denied');
    setDenying(null);
    apps.reload();
  });
  return (
    <>
      <PageHead
        title="Applications"
        subtitle="Approve established affiliates; deny with a reason they can act on."
        actions={
          <>
            <label htmlFor="app-status" className="sr-only">Status</label>
            <select id="app-status" className="select" style={{ width: 'auto' }} value={status} onChange={(e) => setStatus(e.target.value)}>
              {['pending', 'approved', 'denied', 'dismissed'].map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </>
        }
      />
      <FormError error={approve.error} />
      <Card>
        <Loaded resource={apps}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty icon="✓" title={`No ${status} applications`} />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Applicant</th>
                      <th>Website & social</th>
                      <th className="hide-sm">Their answer</th>
                      <th>Applied</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((a) => (
                      <tr key={a.id} data-testid="application-row">
                        <td>
                          <Link to={`/admin/affiliates/${a.affiliate_id}`}><strong className="break">{a.affiliate?.name}</strong></Link>
                          <div className="small muted break">@{a.affiliate?.username} · {a.affiliate?.email}</div>
                          {a.affiliate?.recruited_by && <div className="small"><Badge tone="brand">recruited by @{a.affiliate.recruited_by}</Badge></div>}
                        </td>
                        <td className="small break">
                          {a.website ? <a href={a.website} target="_blank" rel="noreferrer noopener">{a.website}</a> : <span className="muted">no website</span>}
                          {a.social_links.map((s) => <div key={s}><a href={s} target="_blank" rel="noreferrer noopener">{s}</a></div>)}
                        </td>
                        <td className="hide-sm small break" style={{ maxWidth: 320 }}>{a.answer ?? <span className="muted">—</span>}</td>
                        <td className="small nowrap">
                          {date(a.created_at)}
                          <div className="muted">terms v {a.terms_version}</div>
                          {a.reason && <div className="muted break">“{a.reason}”</div>}
                        </td>
                        <td className="right nowrap">
                          {a.status === 'pending' ? (
                            <>
                              <Button size="sm" variant="primary" onClick={() => void approve.run(a)} busy={approve.busy}>Approve</Button>{' '}
                              <Button size="sm" onClick={() => setDenying(a)}>Deny</Button>
                            </>
                          ) : (
                            <StatusBadge status={a.status} />
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
      <ReasonModal key={denying?.id ?? 'none'} title={`Deny ${denying?.affiliate?.name ?? ''}`} open={!!denying} onClose={() => setDenying(null)} onSubmit={(r) => void deny.run(r)} busy={deny.busy} error={deny.error} cta="Deny application" danger />
    </>
  );
}

interface AffiliateRow {
  id: string;
  username: string;
  email: string;
  name: string;
  created_at: string;
  enrolments: { program: string; application_id: string; status: string }[];
}

export function AffiliatesPage() {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const list = useResource<{ data: AffiliateRow[]; has_more: boolean }>(`/api/v1/console/affiliates${qs({ q: query })}`);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery(q);
  };
  return (
    <>
      <PageHead title="Affiliates" subtitle="Search by username, email or name." />
      <Card>
        <form className="card-body" onSubmit={submit} role="search">
          <div className="input-group">
            <label htmlFor="aff-search" className="sr-only">Search affiliates</label>
            <input id="aff-search" className="input" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="jane, jane@example.com…" />
            <Button type="submit" variant="primary">Search</Button>
          </div>
        </form>
        <Loaded resource={list}>
          {({ data, has_more }) =>
            data.length === 0 ? (
              <Empty title="No affiliates found" />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr><th>Affiliate</th><th className="hide-sm">Email</th><th>Programs</th><th className="hide-sm">Joined</th></tr>
                  </thead>
                  <tbody>
                    {data.map((a) => (
                      <tr key={a.id} className="clickable" onClick={() => navigate(`/admin/affiliates/${a.id}`)}>
                        <td><Link to={`/admin/affiliates/${a.id}`}><strong className="break">{a.name}</strong></Link><div className="small muted">@{a.username}</div></td>
                        <td className="hide-sm break">{a.email}</td>
                        <td>{a.enrolments.length === 0 ? <span className="muted small">none</span> : a.enrolments.map((e) => <div key={e.program} className="small">{e.program} <StatusBadge status={e.status} /></div>)}</td>
                        <td className="hide-sm small">{date(a.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {has_more && <div className="card-foot small muted">Showing the newest 50; refine the search.</div>}
              </div>
            )
          }
        </Loaded>
      </Card>
    </>
  );
}

export function AffiliateDetailPage({ id }: { id: string }) {
  const { slug } = useProgram();
  const affiliate = useResource<Affiliate>(`/api/v1/affiliates/${encodeURIComponent(id)}`);
  const balance = useResource<Balance>(slug ? `/api/v1/affiliates/${encodeURIComponent(id)}/balance${qs({ program: slug })}` : null);
  const tier = useResource<TierCard>(slug ? `/api/v1/affiliates/${encodeURIComponent(id)}/tier${qs({ program: slug })}` : null);
  const toast = useToast();
  const [dismissing, setDismissing] = useState<string | null>(null);
  const dismiss = useAction(async (reason: string) => {
    await post(`/api/v1/applications/${dismissing}/dismiss`, { reason });
    toast('Affiliate dismissed from the program');
    setDismissing(null);
    affiliate.reload();
  });
  return (
    <>
      <PageHead title={affiliate.data?.name ?? 'Affiliate'} subtitle={<Link to="/admin/affiliates">← All affiliates</Link>} />
      <Loaded resource={affiliate}>
        {(a) => (
          <div className="stack">
            <div className="grid grid-2">
              <Card title="Profile">
                <div className="card-body">
                  <dl className="kv">
                    <dt>Username</dt><dd>@{a.username}</dd>
                    <dt>Email</dt><dd>{a.email}</dd>
                    <dt>Id</dt><dd className="mono small">{a.id}</dd>
                    <dt>Recruited by</dt><dd>{a.recruited_by ? `@${a.recruited_by}` : '—'}</dd>
                    <dt>Customer id</dt><dd>{a.customer_id ?? '—'}</dd>
                    <dt>Joined</dt><dd>{date(a.created_at)}</dd>
                    <dt>PayPal</dt><dd>{a.payout_account?.paypal_email ?? <Badge tone="warn">not connected</Badge>}</dd>
                    <dt>Tax form</dt><dd>{a.tax_form ? <>{a.tax_form.form.toUpperCase()} {a.tax_form.complete ? <Badge tone="ok">complete</Badge> : <Badge tone="warn">incomplete</Badge>}</> : <Badge tone="warn">not filed</Badge>}</dd>
                  </dl>
                </div>
              </Card>
              <Card title={`In ${slug}`} subtitle="Balance (R7) and tier (R5.6) at the program’s now.">
                <div className="card-body">
                  <dl className="kv">
                    <dt>Reserve</dt><dd>{balance.data ? money(balance.data.reserve, balance.data.currency) : balance.error?.message ?? '…'}</dd>
                    <dt>Due</dt><dd>{balance.data ? money(balance.data.due, balance.data.currency) : '…'}</dd>
                    <dt>Paid</dt><dd>{balance.data ? money(balance.data.paid, balance.data.currency) : '…'}</dd>
                    <dt>Tier</dt><dd>{tier.data ? `${tier.data.tier_name ?? tierName(tier.data.tier)} · ${percent(tier.data.rate_bps)}` : tier.error?.message ?? '…'}</dd>
                    <dt>Trailing revenue</dt><dd>{tier.data ? money(tier.data.trailing_revenue, tier.data.currency ?? 'usd') : '…'}</dd>
                    <dt>Customers</dt><dd>{tier.data ? count(tier.data.distinct_customers) : '…'}</dd>
                  </dl>
                </div>
              </Card>
            </div>
            <Card title="Enrolments">
              {a.enrolments.length === 0 ? (
                <Empty title="Has not applied to any program" />
              ) : (
                <div className="table-wrap">
                  <table className="table">
                    <tbody>
                      {a.enrolments.map((e) => (
                        <tr key={e.program}>
                          <td><strong>{e.program}</strong></td>
                          <td><StatusBadge status={e.status} />{e.reason && <div className="small muted break">{e.reason}</div>}</td>
                          <td className="small">applied {date(e.applied_at)}</td>
                          <td className="right">{e.status === 'approved' && <Button size="sm" variant="danger" onClick={() => setDismissing(e.application_id)}>Dismiss</Button>}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
            <Card title="Commissions" subtitle={`In ${slug}, newest first. “Why?” shows how each was computed.`}>
              <CommissionList path={`/api/v1/commissions${qs({ program: slug, affiliate_id: a.id, limit: 25 })}`} />
            </Card>
          </div>
        )}
      </Loaded>
      <ReasonModal key={dismissing ?? 'none'} title="Dismiss from the program" open={!!dismissing} onClose={() => setDismissing(null)} onSubmit={(r) => void dismiss.run(r)} busy={dismiss.busy} error={dismiss.error} cta="Dismiss affiliate" danger />
    </>
  );
}

export function CommissionsPage() {
  const { slug } = useProgram();
  const [status, setStatus] = useState('');
  const [kind, setKind] = useState('');
  const [affiliateId, setAffiliateId] = useState('');
  const path = `/api/v1/commissions${qs({ program: slug, status, kind, affiliate_id: affiliateId.trim(), limit: 50 })}`;
  return (
    <>
      <PageHead title="Commissions" subtitle="Every commission with the reasoning that produced it." />
      <Card
        actions={
          <>
            <label className="sr-only" htmlFor="c-aff">Affiliate id</label>
            <input id="c-aff" className="input" style={{ width: 220 }} placeholder="affiliate id (aff_…)" value={affiliateId} onChange={(e) => setAffiliateId(e.target.value)} />
            <label className="sr-only" htmlFor="c-kind">Kind</label>
            <select id="c-kind" className="select" style={{ width: 'auto' }} value={kind} onChange={(e) => setKind(e.target.value)}>
              <option value="">Direct and JV</option>
              <option value="direct">Direct</option>
              <option value="jv">JV</option>
            </select>
            <label className="sr-only" htmlFor="c-status">Status</label>
            <select id="c-status" className="select" style={{ width: 'auto' }} value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">All statuses</option>
              {['reserve', 'due', 'paid', 'reversed', 'rejected'].map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </>
        }
        title={`In ${slug}`}
      >
        {slug && <CommissionList key={path} path={path} showAffiliate />}
      </Card>
    </>
  );
}

interface CustomerRow {
  customer_id: string;
  email: string | null;
  subscriptions: { id: string; interval: string; first_event_at: string; canceled_at: string | null; affiliate: { id: string; username: string } | null; reassignable_until: string }[];
}

export function CustomersPage() {
  const { slug, programs } = useProgram();
  const program = programs.find((p) => p.slug === slug);
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const list = useResource<{ data: CustomerRow[] }>(slug ? `/api/v1/console/customers${qs({ program: slug, q: query })}` : null);
  const [target, setTarget] = useState<CustomerRow | null>(null);
  return (
    <>
      <PageHead title="Customers" subtitle="Within 30 days of a subscription’s start, a customer may ask to be credited to another affiliate (R3.2)." />
      <Card>
        <form className="card-body" role="search" onSubmit={(e) => { e.preventDefault(); setQuery(q); }}>
          <div className="input-group">
            <label htmlFor="cust-search" className="sr-only">Search customers</label>
            <input id="cust-search" className="input" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="customer id or email" />
            <Button type="submit" variant="primary">Search</Button>
          </div>
        </form>
        <Loaded resource={list}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty title="No customers yet">Customers appear when the billing system sends events.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead><tr><th>Customer</th><th>Subscriptions</th><th /></tr></thead>
                  <tbody>
                    {data.map((c) => {
                      const now = program ? new Date(program.now).getTime() : 0;
                      const open = c.subscriptions.some((s) => !s.canceled_at && new Date(s.reassignable_until).getTime() > now);
                      return (
                        <tr key={c.customer_id}>
                          <td><span className="mono small">{c.customer_id}</span><div className="small muted break">{c.email}</div></td>
                          <td className="small">
                            {c.subscriptions.map((s) => (
                              <div key={s.id}>
                                <span className="mono">{s.id}</span> · {s.interval} · {s.affiliate ? <Link to={`/admin/affiliates/${s.affiliate.id}`}>@{s.affiliate.username}</Link> : <span className="muted">no affiliate</span>}
                                <span className="muted"> · started {date(s.first_event_at)}{s.canceled_at ? ' · cancelled' : ''}</span>
                              </div>
                            ))}
                          </td>
                          <td className="right">
                            <Button size="sm" onClick={() => setTarget(c)} disabled={!open} title={open ? undefined : 'The 30-day window has closed'}>Reassign</Button>
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
      <ReassignModal key={target?.customer_id ?? 'none'} customer={target} slug={slug} onClose={() => setTarget(null)} onDone={() => { setTarget(null); list.reload(); }} />
    </>
  );
}

function ReassignModal({ customer, slug, onClose, onDone }: { customer: CustomerRow | null; slug: string; onClose: () => void; onDone: () => void }) {
  const toast = useToast();
  const [search, setSearch] = useState('');
  const [affiliateId, setAffiliateId] = useState('');
  const [reason, setReason] = useState('');
  const candidates = useResource<{ data: AffiliateRow[] }>(search.trim().length >= 2 ? `/api/v1/console/affiliates${qs({ q: search.trim(), limit: 8 })}` : null);
  const action = useAction(async () => {
    await post(`/api/v1/customers/${encodeURIComponent(customer!.customer_id)}/reassign`, { program: slug, affiliate_id: affiliateId, reason });
    toast('Customer reassigned; commissions moved');
    onDone();
  });
  return (
    <Modal open={!!customer} onClose={onClose} title={`Reassign ${customer?.customer_id ?? ''}`}>
      <form className="form" noValidate onSubmit={(e) => { e.preventDefault(); void action.run(); }}>
        <p className="small muted">Every active subscription of this customer in {slug} moves. The old affiliate’s commissions on them are reversed and the new affiliate’s created at their tier at each payment.</p>
        <FormError error={action.error} />
        <Field label="Find the new affiliate">{(p) => <input {...p} className="input" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="username or email" />}</Field>
        {candidates.data && (
          <div className="stack" style={{ gap: 6 }}>
            {candidates.data.data.map((a) => (
              <label key={a.id} className="check">
                <input type="radio" name="affiliate" checked={affiliateId === a.id} onChange={() => setAffiliateId(a.id)} />
                <span>{a.name} <span className="muted">@{a.username}</span></span>
              </label>
            ))}
          </div>
        )}
        {action.fieldError('affiliate_id') && <div className="field-error">⚠ {action.fieldError('affiliate_id')}</div>}
        <Field label="Reason" error={action.fieldError('reason')} hint="e.g. the customer verified by email that they meant to credit this affiliate.">{(p) => <textarea {...p} className="textarea" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />}</Field>
        <Button type="submit" variant="primary" busy={action.busy} disabled={!affiliateId}>Reassign</Button>
      </form>
    </Modal>
  );
}

interface FraudRow {
  affiliate: { id: string; username: string; email: string; name: string };
  enrolment: { application_id: string; status: string } | null;
  flags: number;
  repeat_offender: boolean;
  first_at: string;
  last_at: string;
  payments: { commission_id: string; payment_id: string; customer_id: string; earned_at: string }[];
}

export function FraudPage() {
  const { slug } = useProgram();
  const list = useResource<{ data: FraudRow[] }>(slug ? `/api/v1/console/fraud${qs({ program: slug })}` : null);
  const toast = useToast();
  const [dismissing, setDismissing] = useState<FraudRow | null>(null);
  const dismiss = useAction(async (reason: string) => {
    await post(`/api/v1/applications/${dismissing!.enrolment!.application_id}/dismiss`, { reason });
    toast(`@${dismissing!.affiliate.username} dismissed`);
    setDismissing(null);
    list.reload();
  });
  return (
    <>
      <PageHead title="Fraud flags" subtitle="Self-referrals (R4.5) earn nothing and are kept as flagged, zero commissions. Repeat offenders may be dismissed (R1.2)." />
      <Card>
        <Loaded resource={list}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty icon="🛡" title="No self-referrals detected" />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead><tr><th>Affiliate</th><th className="num">Flags</th><th>Payments</th><th>Enrolment</th><th /></tr></thead>
                  <tbody>
                    {data.map((f) => (
                      <tr key={f.affiliate.id}>
                        <td>
                          <Link to={`/admin/affiliates/${f.affiliate.id}`}><strong className="break">{f.affiliate.name}</strong></Link>
                          <div className="small muted break">@{f.affiliate.username} · {f.affiliate.email}</div>
                          {f.repeat_offender && <Badge tone="bad">repeat offender</Badge>}
                        </td>
                        <td className="num">{f.flags}</td>
                        <td className="small">
                          {f.payments.slice(0, 4).map((p) => <div key={p.commission_id}><span className="mono">{p.payment_id}</span> · {date(p.earned_at)}</div>)}
                          {f.payments.length > 4 && <div className="muted">and {f.payments.length - 4} more</div>}
                        </td>
                        <td>{f.enrolment ? <StatusBadge status={f.enrolment.status} /> : '—'}</td>
                        <td className="right">{f.enrolment?.status === 'approved' && <Button size="sm" variant="danger" onClick={() => setDismissing(f)}>Dismiss</Button>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
      <ReasonModal key={dismissing?.affiliate.id ?? 'none'} title={`Dismiss @${dismissing?.affiliate.username ?? ''}`} open={!!dismissing} onClose={() => setDismissing(null)} onSubmit={(r) => void dismiss.run(r)} busy={dismiss.busy} error={dismiss.error} cta="Dismiss affiliate" danger />
    </>
  );
}
