// One program's dashboard (R9): figures, chart, tier card, links, materials, commissions, JV.
import { useState, type FormEvent } from 'react';
import { Bar, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { get, post, qs, useResource } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { count, date, money, percent, shortDay, tierName } from '../lib/format.js';
import type { Affiliate, Balance, Commission, Links, Material, Page, PublicProgram, Recruit, Stats, TierCard as TierData } from '../lib/types.js';
import { Button, Card, CopyButton, Empty, Field, FormError, LinkBox, Loaded, PageHead, Stat, StatusBadge, useAction, useToast } from '../ui/kit.js';
import { ApplicationStatus } from './apply.js';
import { enrolmentIn } from './home.js';

const TABS: [string, string][] = [
  ['overview', 'Overview'],
  ['links', 'Links'],
  ['materials', 'Marketing materials'],
  ['commissions', 'Commissions'],
  ['recruits', 'JV recruits'],
];

export function ProgramPage({ slug, tab, affiliate }: { slug: string; tab: string; affiliate: Affiliate }) {
  const program = useResource<PublicProgram>(`/api/v1/portal/programs/${encodeURIComponent(slug)}`);
  const enrolment = enrolmentIn(affiliate, slug);
  const name = program.data?.name ?? slug;
  if (!enrolment || enrolment.status !== 'approved') {
    return (
      <>
        <PageHead title={name} />
        {enrolment ? (
          <ApplicationStatus program={slug} enrolment={enrolment} />
        ) : (
          <Card>
            <Empty title="You have not applied to this program yet">
              <Link className="btn btn-primary" to={`/apply/${slug}`}>
                Apply now
              </Link>
            </Empty>
          </Card>
        )}
      </>
    );
  }
  const base = `/api/v1/affiliates/${encodeURIComponent(affiliate.id)}`;
  const q = qs({ program: slug });
  return (
    <>
      <PageHead title={name} subtitle={<span>Your affiliate dashboard · approved {date(enrolment.decided_at)}</span>} />
      <nav className="tabs" aria-label={`${name} sections`}>
        {TABS.map(([key, label]) => (
          <Link key={key} to={key === 'overview' ? `/p/${slug}` : `/p/${slug}/${key}`} aria-current={tab === key ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {tab === 'overview' && <Overview base={base} q={q} slug={slug} program={program.data} />}
      {tab === 'links' && <LinksTab base={base} q={q} slug={slug} />}
      {tab === 'materials' && <MaterialsTab base={base} q={q} />}
      {tab === 'commissions' && <CommissionsTab affiliateId={affiliate.id} slug={slug} />}
      {tab === 'recruits' && <RecruitsTab base={base} q={q} program={program.data} />}
      {!TABS.some(([k]) => k === tab) && <Empty title="Unknown section" />}
    </>
  );
}

function Overview({ base, q, slug, program }: { base: string; q: string; slug: string; program: PublicProgram | undefined }) {
  const [days, setDays] = useState(30);
  const [linkCode, setLinkCode] = useState('all');
  const stats = useResource<Stats>(`${base}/stats${q}&days=${days}`);
  const balance = useResource<Balance>(`${base}/balance${q}`);
  const tier = useResource<TierData>(`${base}/tier${q}`);
  const links = useResource<Links>(`${base}/links${q}`);
  const currency = balance.data?.currency ?? stats.data?.currency ?? program?.currency ?? 'usd';
  const s = stats.data;
  const selected = s?.links.find((l) => l.code === linkCode);
  const series = selected ? selected.daily.map((d) => ({ ...d, commission: 0 })) : (s?.daily ?? []);
  const totals = selected ? { clicks: selected.clicks, sales: selected.sales, conversion_rate_bps: selected.conversion_rate_bps } : s?.totals;

  return (
    <div className="stack">
      {links.data && (
        <Card>
          <div className="card-body spread">
            <div style={{ flex: '1 1 220px' }}>
              <div className="label">Your affiliate link</div>
              <div className="small muted">Credits any plan the customer picks · {program?.cookie_days ?? 30}-day cookie, last click wins</div>
            </div>
            <div style={{ flex: '2 1 260px', minWidth: 0 }}>
              <LinkBox url={links.data.main.url} label="Copy link" />
            </div>
          </div>
        </Card>
      )}
      <div className="grid grid-stats">
        <Stat label="Clicks" value={totals ? count(totals.clicks) : '—'} hint={`last ${days} days`} color="#6366f1" />
        <Stat label="Sales" value={totals ? count(totals.sales) : '—'} hint={`last ${days} days`} color="#10b981" />
        <Stat label="Conversion" value={totals ? percent(totals.conversion_rate_bps) : '—'} hint="sales ÷ clicks" />
        <Stat label="Reserve" value={balance.data ? money(balance.data.reserve, currency) : '—'} hint={`in the ${program?.hold_days ?? 45}-day hold`} color="#f59e0b" />
        <Stat label="Due" value={balance.data ? money(balance.data.due, currency) : '—'} hint="paid in the next monthly run" color="#4f46e5" />
        <Stat label="Paid" value={balance.data ? money(balance.data.paid, currency) : '—'} hint="sent to your PayPal" color="#059669" />
      </div>
      {balance.error && <FormError error={balance.error} />}
      <div className="grid grid-chart">
        <Card
          title="Performance"
          subtitle={selected ? `Tracking link “${selected.name ?? selected.kind}”` : 'All your links'}
          actions={
            <>
              <label className="sr-only" htmlFor="chart-link">
                Link
              </label>
              <select id="chart-link" className="select" style={{ width: 'auto' }} value={linkCode} onChange={(e) => setLinkCode(e.target.value)}>
                <option value="all">All links</option>
                {s?.links.map((l) => (
                  <option key={l.code} value={l.code}>
                    {l.kind === 'main' ? 'Main link' : l.kind === 'jv' ? 'JV link' : l.name}
                  </option>
                ))}
              </select>
              <label className="sr-only" htmlFor="chart-days">
                Period
              </label>
              <select id="chart-days" className="select" style={{ width: 'auto' }} value={days} onChange={(e) => setDays(Number(e.target.value))}>
                <option value={7}>7 days</option>
                <option value={30}>30 days</option>
                <option value={90}>90 days</option>
              </select>
            </>
          }
        >
          <Loaded resource={stats}>
            {() => (
              <div className="card-body">
                <div className="legend" aria-hidden>
                  <span>
                    <i className="dot" style={{ background: '#a5b4fc' }} /> Clicks
                  </span>
                  <span>
                    <i className="dot" style={{ background: '#10b981' }} /> Sales
                  </span>
                </div>
                <div className="chart-box" role="img" aria-label={`Clicks and sales per day over the last ${days} days`}>
                  <ResponsiveContainer width="100%" height="100%">
                    <ComposedChart data={series} margin={{ top: 12, right: 8, bottom: 0, left: -20 }}>
                      <CartesianGrid stroke="#eef0f4" vertical={false} />
                      <XAxis dataKey="date" tickFormatter={shortDay} tick={{ fontSize: 12, fill: '#6b7280' }} tickLine={false} axisLine={false} minTickGap={24} />
                      <YAxis allowDecimals={false} tick={{ fontSize: 12, fill: '#6b7280' }} tickLine={false} axisLine={false} />
                      <Tooltip labelFormatter={(d) => shortDay(String(d))} contentStyle={{ borderRadius: 10, border: '1px solid #e5e7eb' }} />
                      <Bar dataKey="clicks" name="Clicks" fill="#a5b4fc" radius={[4, 4, 0, 0]} maxBarSize={18} minPointSize={0} isAnimationActive={false} />
                      <Line dataKey="sales" name="Sales" stroke="#10b981" strokeWidth={2.5} dot={false} type="monotone" isAnimationActive={false} />
                    </ComposedChart>
                  </ResponsiveContainer>
                </div>
              </div>
            )}
          </Loaded>
        </Card>
        <TierCardView tier={tier} program={program} currency={currency} />
      </div>
      <Card title="By link" subtitle="Every tracking link counts its own clicks and sales (R9.1)." actions={<Link to={`/p/${slug}/links`}>Manage links →</Link>}>
        <Loaded resource={stats}>
          {(data) => (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Link</th>
                    <th className="num">Clicks</th>
                    <th className="num">Sales</th>
                    <th className="num">Conversion</th>
                    <th className="num hide-sm">Revenue</th>
                  </tr>
                </thead>
                <tbody>
                  {data.links
                    .filter((l) => l.kind !== 'jv')
                    .map((l) => (
                      <tr key={l.code}>
                        <td>
                          <strong className="break">{l.kind === 'main' ? 'Main link' : l.name}</strong>
                          <div className="small muted mono">{l.code}</div>
                        </td>
                        <td className="num">{count(l.clicks)}</td>
                        <td className="num">{count(l.sales)}</td>
                        <td className="num">{percent(l.conversion_rate_bps)}</td>
                        <td className="num hide-sm">{money(l.revenue, data.currency)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          )}
        </Loaded>
      </Card>
    </div>
  );
}

function TierCardView({ tier, program, currency }: { tier: ReturnType<typeof useResource<TierData>>; program: PublicProgram | undefined; currency: string }) {
  const t = tier.data;
  const nextTier = t?.next ? program?.tiers.find((x) => x.key === t.next!.tier) : undefined;
  const revenueGoal = t?.next ? t.trailing_revenue + t.next.revenue_needed : 0;
  const revenuePct = t?.next && revenueGoal > 0 ? Math.min(100, Math.round((t.trailing_revenue * 100) / revenueGoal)) : 100;
  const customerGoal = t?.next ? t.distinct_customers + t.next.customers_needed : 0;
  const customerPct = t?.next && customerGoal > 0 ? Math.min(100, Math.round((t.distinct_customers * 100) / customerGoal)) : 100;
  return (
    <section className="card tier-card" aria-label="Your tier" data-testid="tier-card">
      {tier.error && !t ? (
        <div className="card-body">{tier.error.message}</div>
      ) : !t ? (
        <div className="card-body">Loading your tier…</div>
      ) : (
        <div className="card-body stack">
          <div className="spread">
            <span className="tier-badge">★ {t.tier_name ?? tierName(t.tier)}</span>
            <span className="small muted">trailing 12 months</span>
          </div>
          <div>
            <div className="tier-rate" data-testid="tier-rate">
              {percent(t.rate_bps)}
            </div>
            <div className="muted small">{t.tier === 'referral' ? 'of the first full payment of each new subscription' : 'of every payment, recurring'}</div>
          </div>
          <dl className="kv" style={{ color: 'white' }}>
            <dt className="muted">Sales revenue</dt>
            <dd>{money(t.trailing_revenue, currency)}</dd>
            <dt className="muted">Distinct customers</dt>
            <dd>{count(t.distinct_customers)}</dd>
          </dl>
          {t.next ? (
            <div className="stack" style={{ gap: 10 }}>
              <div className="small">
                Next: <strong>{nextTier?.name ?? tierName(t.next.tier)}</strong>
                {nextTier ? ` · ${percent(nextTier.rates.month.recurring_bps)} recurring` : ''}
              </div>
              {t.next.customers_needed > 0 && (
                <div>
                  <div className="small muted">
                    {t.next.customers_needed} more customer{t.next.customers_needed === 1 ? '' : 's'}
                  </div>
                  <div className="progress" role="progressbar" aria-valuenow={customerPct} aria-valuemin={0} aria-valuemax={100} aria-label="Customers toward the next tier">
                    <span style={{ width: `${customerPct}%` }} />
                  </div>
                </div>
              )}
              {t.next.revenue_needed > 0 && (
                <div>
                  <div className="small muted">{money(t.next.revenue_needed, currency)} more in sales</div>
                  <div className="progress" role="progressbar" aria-valuenow={revenuePct} aria-valuemin={0} aria-valuemax={100} aria-label="Revenue toward the next tier">
                    <span style={{ width: `${revenuePct}%` }} />
                  </div>
                </div>
              )}
              <div className="small muted">Only sales past their hold count toward a tier.</div>
            </div>
          ) : (
            <div className="small">You are on the top tier. 🎉</div>
          )}
        </div>
      )}
    </section>
  );
}

function LinksTab({ base, q, slug }: { base: string; q: string; slug: string }) {
  const links = useResource<Links>(`${base}/links${q}`);
  const toast = useToast();
  const [name, setName] = useState('');
  const create = useAction(async () => {
    await post(`${base}/tracking_links`, { program: slug, name });
    toast(`Tracking link “${name}” created`);
    setName('');
    links.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  return (
    <div className="stack">
      <Loaded resource={links}>
        {(l) => (
          <div className="grid grid-2">
            <Card title="Affiliate link" subtitle="Your all-purpose link: use it raw, without masking, so its cookie survives.">
              <div className="card-body stack">
                <LinkBox url={l.main.url} label="Copy link" />
                {l.main.clicks !== undefined && (
                  <div className="small muted">
                    {count(l.main.clicks)} clicks · {count(l.main.sales ?? 0)} sales
                  </div>
                )}
              </div>
            </Card>
            <Card title="JV recruiting link" subtitle="Affiliates who sign up through it are yours: you earn on every sale they make.">
              <div className="card-body">
                <LinkBox url={l.jv.url} label="Copy JV link" />
              </div>
            </Card>
          </div>
        )}
      </Loaded>
      <Card title="Tracking links" subtitle="A copy of your link per channel (blog, Facebook…) to see where your sales come from.">
        <form className="card-body" onSubmit={submit} noValidate>
          <FormError error={create.error && !create.fieldError('name') ? create.error : null} />
          <Field label="New tracking link name" error={create.fieldError('name') ?? (create.error?.code === 'tracking_link_exists' ? create.error.message : undefined)}>
            {(p) => (
              <div className="input-group">
                <input {...p} className="input" name="tracking_name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. blog, youtube, newsletter" maxLength={60} />
                <Button type="submit" variant="primary" busy={create.busy}>
                  Create
                </Button>
              </div>
            )}
          </Field>
        </form>
        <Loaded resource={links}>
          {(l) =>
            l.tracking.length === 0 ? (
              <Empty icon="🔗" title="No tracking links yet">
                Create one per channel to compare them.
              </Empty>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Link</th>
                      <th className="num">Clicks</th>
                      <th className="num">Sales</th>
                    </tr>
                  </thead>
                  <tbody>
                    {l.tracking.map((t) => (
                      <tr key={t.code}>
                        <td>
                          <strong className="break" data-testid="tracking-name">
                            {t.name}
                          </strong>
                        </td>
                        <td style={{ minWidth: 260 }}>
                          <LinkBox url={t.url} />
                        </td>
                        <td className="num">{count(t.clicks)}</td>
                        <td className="num">{count(t.sales)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
    </div>
  );
}

function MaterialsTab({ base, q }: { base: string; q: string }) {
  const materials = useResource<{ data: Material[] }>(`${base}/materials${q}`);
  return (
    <Card title="Marketing materials" subtitle="Approved banners and swipes with your link already filled in. Please do not use the brand’s logo or keywords elsewhere.">
      <Loaded resource={materials}>
        {({ data }) =>
          data.length === 0 ? (
            <Empty icon="🖼" title="No materials yet">
              The program team has not published banners or swipes yet.
            </Empty>
          ) : (
            <div className="card-body grid grid-2">
              {data.map((m) => {
                const snippet = m.kind === 'banner' && m.image_url && m.link ? `<a href="${m.link}"><img src="${m.image_url}" alt="${m.title}"></a>` : m.body;
                return (
                  <article key={m.id} className="card card-body material">
                    <div className="spread">
                      <h3 className="break">{m.title}</h3>
                      <span className="badge">{m.kind}</span>
                    </div>
                    {m.kind === 'banner' && m.image_url && <img src={m.image_url} alt={m.title} loading="lazy" />}
                    {m.body && <pre>{m.body}</pre>}
                    {m.kind === 'banner' && m.image_url && m.link && <pre className="mono small">{snippet}</pre>}
                    <div className="row">
                      <CopyButton text={snippet} label={m.kind === 'banner' ? 'Copy HTML' : 'Copy text'} />
                    </div>
                  </article>
                );
              })}
            </div>
          )
        }
      </Loaded>
    </Card>
  );
}

export function CommissionList({ path, showAffiliate = false }: { path: string; showAffiliate?: boolean }) {
  const first = useResource<Page<Commission>>(path);
  const [more, setMore] = useState<Commission[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [open, setOpen] = useState<string | null>(null);
  const loadMore = useAction(async () => {
    const next = cursor === undefined ? first.data?.next_cursor : cursor;
    if (!next) return;
    const page = await get<Page<Commission>>(`${path}&cursor=${encodeURIComponent(next)}`);
    setMore((m) => [...m, ...page.data]);
    setCursor(page.next_cursor);
  });
  const hasMore = cursor === undefined ? first.data?.has_more : cursor !== null;
  return (
    <Loaded resource={first}>
      {(page) => {
        const rows = [...page.data, ...more];
        if (rows.length === 0)
          return (
            <Empty icon="💸" title="No commissions yet">
              They appear here the moment a sale through your links is reported.
            </Empty>
          );
        return (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Earned</th>
                    {showAffiliate && <th>Affiliate</th>}
                    <th>Customer</th>
                    <th className="hide-sm">Kind · tier</th>
                    <th className="num">Rate</th>
                    <th className="num">Amount</th>
                    <th>Status</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {rows.map((c) => (
                    <CommissionRow key={c.id} c={c} open={open === c.id} onToggle={() => setOpen(open === c.id ? null : c.id)} showAffiliate={showAffiliate} />
                  ))}
                </tbody>
              </table>
            </div>
            {hasMore && (
              <div className="card-foot">
                <Button onClick={() => void loadMore.run()} busy={loadMore.busy}>
                  Load more
                </Button>
              </div>
            )}
          </>
        );
      }}
    </Loaded>
  );
}

function CommissionRow({ c, open, onToggle, showAffiliate }: { c: Commission; open: boolean; onToggle: () => void; showAffiliate: boolean }) {
  return (
    <>
      <tr>
        <td className="nowrap">
          {date(c.earned_at)}
          <div className="small muted">due {date(c.due_at)}</div>
        </td>
        {showAffiliate && <td className="mono small">{c.affiliate_id}</td>}
        <td className="break">
          <span className="mono small">{c.customer_id}</span>
          <div className="small muted mono">{c.payment_id}</div>
        </td>
        <td className="hide-sm">
          {c.kind === 'jv' ? 'JV (second tier)' : 'Direct'} · {tierName(c.tier)}
        </td>
        <td className="num">{percent(c.rate_bps)}</td>
        <td className="num">
          {money(c.amount, c.currency)}
          {!!c.reversed_amount && <div className="small" style={{ color: 'var(--bad)' }}>−{money(c.reversed_amount, c.currency)}</div>}
        </td>
        <td>
          <StatusBadge status={c.status} />
          {c.reason && <div className="small muted">{c.reason.replace(/_/g, ' ')}</div>}
        </td>
        <td className="right">
          <Button size="sm" variant="ghost" onClick={onToggle} aria-expanded={open}>
            {open ? 'Hide' : 'Why?'}
          </Button>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={showAffiliate ? 8 : 7} style={{ background: 'var(--surface-2)' }}>
            <strong className="small">How this commission was computed</strong>
            {c.explanation && c.explanation.length > 0 ? (
              <ol className="explain">
                {c.explanation.map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
              </ol>
            ) : (
              <p className="small muted">No explanation was recorded.</p>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

function CommissionsTab({ affiliateId, slug }: { affiliateId: string; slug: string }) {
  const [status, setStatus] = useState('');
  const path = `/api/v1/commissions${qs({ affiliate_id: affiliateId, program: slug, status, limit: 25 })}`;
  return (
    <Card
      title="Commissions"
      subtitle="Every commission with its explanation. Reserve becomes due after the hold; due is paid monthly."
      actions={
        <>
          <label className="sr-only" htmlFor="commission-status">
            Status
          </label>
          <select id="commission-status" className="select" style={{ width: 'auto' }} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All statuses</option>
            {['reserve', 'due', 'paid', 'reversed', 'rejected'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </>
      }
    >
      <CommissionList key={path} path={path} />
    </Card>
  );
}

function RecruitsTab({ base, q, program }: { base: string; q: string; program: PublicProgram | undefined }) {
  const recruits = useResource<{ data: Recruit[] }>(`${base}/recruits${q}`);
  const links = useResource<Links>(`${base}/links${q}`);
  return (
    <div className="stack">
      <Card title="Recruit affiliates" subtitle={`Earn ${percent(program?.jv_rate_bps ?? 1000)} of every sale made by affiliates who join through your JV link — one level deep.`}>
        <div className="card-body">{links.data ? <LinkBox url={links.data.jv.url} label="Copy JV link" /> : <span className="muted">Loading…</span>}</div>
      </Card>
      <Card title="Your recruits">
        <Loaded resource={recruits}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty icon="🤝" title="No recruits yet">
                Share your JV link with other marketers.
              </Empty>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Affiliate</th>
                      <th className="hide-sm">Email</th>
                      <th>Status</th>
                      <th className="num">Clicks</th>
                      <th className="num">Sales</th>
                      <th className="num">Your JV commission</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((r) => (
                      <tr key={r.affiliate_id}>
                        <td>
                          <strong className="break">{r.name}</strong>
                          <div className="small muted">@{r.username}</div>
                        </td>
                        <td className="hide-sm break">{r.email}</td>
                        <td>{r.status ? <StatusBadge status={r.status} /> : <span className="muted small">not applied</span>}</td>
                        <td className="num">{count(r.clicks)}</td>
                        <td className="num">{count(r.sales)}</td>
                        <td className="num">{money(r.jv_commission_net, r.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
    </div>
  );
}
