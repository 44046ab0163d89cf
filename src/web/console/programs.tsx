// Programs and plans: settings, the tier table (validated as you type, with an earnings preview),
// versioned terms, and marketing materials (R9.2).
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { del, patch, post, put, qs, useResource, type ApiError } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { bpsInput, count, date, money, moneyInput, parseMoney, parsePercent, percent } from '../lib/format.js';
import { checkTiers, preview } from '../lib/plan.js';
import type { Application, Material, Program, PublicProgram, Tier } from '../lib/types.js';
import { Badge, Button, Card, Empty, Field, FormError, Loaded, Modal, PageHead, Stat, useAction, useToast } from '../ui/kit.js';
import { useProgram } from './main.js';

export function OverviewPage() {
  const { slug, programs } = useProgram();
  const program = programs.find((p) => p.slug === slug);
  const pending = useResource<{ data: Application[] }>(slug ? `/api/v1/console/applications${qs({ program: slug, status: 'pending' })}` : null);
  const approved = useResource<{ data: Application[] }>(slug ? `/api/v1/console/applications${qs({ program: slug, status: 'approved' })}` : null);
  const fraud = useResource<{ data: { flags: number }[] }>(slug ? `/api/v1/console/fraud${qs({ program: slug })}` : null);
  return (
    <>
      <PageHead title={program ? program.name : 'Overview'} subtitle={program ? `Program “${program.slug}” · ${program.currency.toUpperCase()} · program time ${date(program.now)}` : 'Create a program to start.'} />
      <div className="grid grid-stats">
        <Stat label="Pending applications" value={pending.data ? count(pending.data.data.length) : '—'} hint={<Link to="/admin/applications">Review the queue →</Link>} color="#f59e0b" />
        <Stat label="Approved affiliates" value={approved.data ? count(approved.data.data.length) : '—'} color="#10b981" />
        <Stat label="Fraud flags" value={fraud.data ? count(fraud.data.data.reduce((n, f) => n + f.flags, 0)) : '—'} hint={<Link to="/admin/fraud">See self-referrals →</Link>} color="#ef4444" />
        <Stat label="Hold / cookie" value={program ? `${program.hold_days}d / ${program.cookie_days}d` : '—'} hint={program ? `JV ${percent(program.jv_rate_bps)}` : undefined} />
      </div>
      <div style={{ height: 16 }} />
      <Card title="Waiting for a decision" actions={<Link to="/admin/applications">All applications →</Link>}>
        <Loaded resource={pending}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty icon="✓" title="The queue is empty">
                New applications appear here.
              </Empty>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <tbody>
                    {data.slice(0, 5).map((a) => (
                      <tr key={a.id}>
                        <td>
                          <strong className="break">{a.affiliate?.name}</strong>
                          <div className="small muted">@{a.affiliate?.username}</div>
                        </td>
                        <td className="small muted">applied {date(a.created_at)}</td>
                      </tr>
                    ))}
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

export function ProgramsPage() {
  const programs = useResource<{ data: Program[] }>('/api/v1/programs');
  const [open, setOpen] = useState(false);
  return (
    <>
      <PageHead title="Programs & plans" subtitle="Affiliates apply to each program separately." actions={<Button variant="primary" onClick={() => setOpen(true)}>New program</Button>} />
      <Card>
        <Loaded resource={programs}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty title="No programs yet" />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Program</th>
                      <th>Plan</th>
                      <th className="num">Cookie</th>
                      <th className="num">Hold</th>
                      <th className="num">JV</th>
                      <th>Terms</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((p) => (
                      <tr key={p.slug} className="clickable" onClick={() => navigate(`/admin/programs/${p.slug}`)}>
                        <td>
                          <Link to={`/admin/programs/${p.slug}`}>
                            <strong>{p.name}</strong>
                          </Link>
                          <div className="small muted mono">{p.slug}</div>
                        </td>
                        <td>
                          <Badge tone={p.plan === 'default' ? 'brand' : undefined}>{p.plan}</Badge> <span className="small muted">{p.tiers.length} tiers</span>
                        </td>
                        <td className="num">{p.cookie_days} d</td>
                        <td className="num">{p.hold_days} d</td>
                        <td className="num">{percent(p.jv_rate_bps)}</td>
                        <td>
                          <Badge>v {p.terms_version}</Badge>
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
      <Modal open={open} onClose={() => setOpen(false)} title="New program">
        <NewProgramForm onDone={() => { setOpen(false); programs.reload(); }} />
      </Modal>
    </>
  );
}

function NewProgramForm({ onDone }: { onDone: () => void }) {
  const [f, setF] = useState({ slug: '', name: '', currency: 'usd', landing_url: 'https://' });
  const action = useAction(async () => {
    await post('/api/v1/programs', { ...f, plan: 'default' });
    onDone();
  });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  return (
    <form className="form" noValidate onSubmit={(e) => { e.preventDefault(); void action.run(); }}>
      <FormError error={action.error} />
      <Field label="Name" error={action.fieldError('name')}>{(p) => <input {...p} className="input" value={f.name} onChange={set('name')} />}</Field>
      <Field label="Slug" error={action.fieldError('slug')} hint="Lower-case letters, digits and dashes; used in URLs.">{(p) => <input {...p} className="input" value={f.slug} onChange={set('slug')} />}</Field>
      <Field label="Currency" error={action.fieldError('currency')}>{(p) => <input {...p} className="input" value={f.currency} onChange={set('currency')} maxLength={3} />}</Field>
      <Field label="Landing page URL" error={action.fieldError('landing_url')}>{(p) => <input {...p} className="input" value={f.landing_url} onChange={set('landing_url')} />}</Field>
      <Button type="submit" variant="primary" busy={action.busy}>Create program</Button>
    </form>
  );
}

export function ProgramEditPage({ slug }: { slug: string }) {
  const program = useResource<Program>(`/api/v1/programs/${encodeURIComponent(slug)}`);
  return (
    <>
      <PageHead title={program.data?.name ?? slug} subtitle={<Link to="/admin/programs">← All programs</Link>} />
      <Loaded resource={program}>
        {(p) => (
          <div className="stack">
            <SettingsCard program={p} onSaved={program.reload} />
            <TierEditor program={p} onSaved={program.reload} />
            <TermsCard program={p} onSaved={program.reload} />
            <MaterialsCard slug={p.slug} />
          </div>
        )}
      </Loaded>
    </>
  );
}

function SettingsCard({ program, onSaved }: { program: Program; onSaved: () => void }) {
  const toast = useToast();
  const [f, setF] = useState({ name: program.name, landing_url: program.landing_url, cookie_days: String(program.cookie_days), hold_days: String(program.hold_days), refund_days: String(program.refund_days), jv_rate: bpsInput(program.jv_rate_bps) });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const action = useAction(async () => {
    await patch(`/api/v1/programs/${program.slug}`, {
      name: f.name,
      landing_url: f.landing_url,
      cookie_days: Number(f.cookie_days),
      hold_days: Number(f.hold_days),
      refund_days: Number(f.refund_days),
      jv_rate_bps: parsePercent(f.jv_rate) ?? -1,
    });
    toast('Program saved');
    onSaved();
  });
  return (
    <Card title="Settings" subtitle="Changes apply to what happens next; existing commissions keep their rate and hold.">
      <form className="form card-body" noValidate onSubmit={(e) => { e.preventDefault(); void action.run(); }}>
        <FormError error={action.error} />
        <div className="grid grid-2">
          <Field label="Name" error={action.fieldError('name')}>{(p) => <input {...p} className="input" value={f.name} onChange={set('name')} />}</Field>
          <Field label="Landing page URL" error={action.fieldError('landing_url')}>{(p) => <input {...p} className="input" value={f.landing_url} onChange={set('landing_url')} />}</Field>
          <Field label="Cookie days" error={action.fieldError('cookie_days')}>{(p) => <input {...p} className="input" inputMode="numeric" value={f.cookie_days} onChange={set('cookie_days')} />}</Field>
          <Field label="Hold days" error={action.fieldError('hold_days')} hint="Must be at least the refund window.">{(p) => <input {...p} className="input" inputMode="numeric" value={f.hold_days} onChange={set('hold_days')} />}</Field>
          <Field label="Refund window (days)" error={action.fieldError('refund_days')}>{(p) => <input {...p} className="input" inputMode="numeric" value={f.refund_days} onChange={set('refund_days')} />}</Field>
          <Field label="JV (second tier) rate %" error={action.fieldError('jv_rate_bps')}>{(p) => <input {...p} className="input" inputMode="decimal" value={f.jv_rate} onChange={set('jv_rate')} />}</Field>
        </div>
        <div><Button type="submit" variant="primary" busy={action.busy}>Save settings</Button></div>
      </form>
    </Card>
  );
}

interface TierDraft {
  key: string;
  name: string;
  min_customers: string;
  revenue_above: string;
  month_first: string;
  month_recurring: string;
  year_first: string;
  year_recurring: string;
}

const toDraft = (t: Tier, currency: string): TierDraft => ({
  key: t.key,
  name: t.name,
  min_customers: String(t.min_customers),
  revenue_above: moneyInput(t.revenue_above, currency),
  month_first: bpsInput(t.rates.month.first_bps),
  month_recurring: bpsInput(t.rates.month.recurring_bps),
  year_first: bpsInput(t.rates.year.first_bps),
  year_recurring: bpsInput(t.rates.year.recurring_bps),
});

function fromDraft(d: TierDraft, currency: string): Tier {
  const bps = (s: string) => parsePercent(s) ?? -1;
  const revenue = d.revenue_above.trim() === '' ? null : (parseMoney(d.revenue_above, currency) ?? -1);
  return {
    key: d.key.trim(),
    name: d.name,
    min_customers: /^\d+$/.test(d.min_customers.trim()) ? Number(d.min_customers) : -1,
    revenue_above: revenue,
    rates: { month: { first_bps: bps(d.month_first), recurring_bps: bps(d.month_recurring) }, year: { first_bps: bps(d.year_first), recurring_bps: bps(d.year_recurring) } },
  };
}

function TierEditor({ program, onSaved }: { program: Program; onSaved: () => void }) {
  const toast = useToast();
  const [drafts, setDrafts] = useState<TierDraft[]>(() => program.tiers.map((t) => toDraft(t, program.currency)));
  useEffect(() => setDrafts(program.tiers.map((t) => toDraft(t, program.currency))), [program]);
  const tiers = useMemo(() => drafts.map((d) => fromDraft(d, program.currency)), [drafts, program.currency]);
  const problems = useMemo(() => checkTiers(tiers), [tiers]);
  const save = useAction(async () => {
    await patch(`/api/v1/programs/${program.slug}`, { plan: { tiers } });
    toast('Tier table saved');
    onSaved();
  });
  const resetDefault = useAction(async () => {
    await patch(`/api/v1/programs/${program.slug}`, { plan: 'default' });
    toast('Back on the default plan');
    onSaved();
  });
  const edit = (i: number, k: keyof TierDraft) => (e: { target: { value: string } }) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, [k]: e.target.value } : d)));
  const problemAt = (i: number, suffix = '') => problems.find((p) => p.field === `tiers.${i}${suffix}`)?.message ?? serverProblem(save.error, i, suffix);
  const cell = (i: number, k: keyof TierDraft, label: string, suffix: string, width = 80) => {
    const err = problemAt(i, suffix);
    return (
      <td>
        <input className="input" aria-label={`${label}, tier ${i + 1}`} aria-invalid={!!err} title={err} value={drafts[i]![k]} onChange={edit(i, k)} style={{ width, minWidth: width }} />
      </td>
    );
  };
  return (
    <Card
      title="Tier table"
      subtitle={`Plan: ${program.plan}. An affiliate is on the highest tier whose thresholds they meet over the trailing 12 months. Rates are 0% or 10–100%.`}
      actions={
        <>
          {program.plan !== 'default' && <Button size="sm" onClick={() => void resetDefault.run()} busy={resetDefault.busy}>Use default plan</Button>}
          <Button size="sm" onClick={() => setDrafts((d) => [...d, { key: `tier_${d.length}`, name: `Tier ${d.length}`, min_customers: '2', revenue_above: '', month_first: '20', month_recurring: '20', year_first: '20', year_recurring: '20' }])}>Add tier</Button>
        </>
      }
    >
      <div className="table-wrap">
        <table className="table wrap-head">
          <thead>
            <tr>
              <th>Key</th>
              <th>Name</th>
              <th>Min customers</th>
              <th>Revenue above ({program.currency.toUpperCase()})</th>
              <th>Monthly first %</th>
              <th>Monthly recurring %</th>
              <th>Annual first %</th>
              <th>Annual recurring %</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {drafts.map((_, i) => (
              <tr key={i}>
                {cell(i, 'key', 'Key', '.key', 90)}
                {cell(i, 'name', 'Name', '.name', 96)}
                {cell(i, 'min_customers', 'Minimum customers', '.min_customers', 60)}
                {cell(i, 'revenue_above', 'Revenue above', '.revenue_above', 100)}
                {cell(i, 'month_first', 'Monthly first rate', '.rates.month.first_bps', 60)}
                {cell(i, 'month_recurring', 'Monthly recurring rate', '.rates.month.recurring_bps', 60)}
                {cell(i, 'year_first', 'Annual first rate', '.rates.year.first_bps', 60)}
                {cell(i, 'year_recurring', 'Annual recurring rate', '.rates.year.recurring_bps', 60)}
                <td>
                  <Button size="sm" variant="ghost" aria-label={`Remove tier ${i + 1}`} onClick={() => setDrafts((d) => d.filter((__, j) => j !== i))}>✕</Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="card-body stack">
        {problems.length > 0 && (
          <div className="alert alert-bad" role="alert">
            <span aria-hidden>⚠</span>
            <ul style={{ margin: 0, paddingLeft: 18 }}>
              {problems.map((p) => (
                <li key={p.field + p.message}>
                  {p.field.replace(/^tiers\.(\d+)/, (_m, n: string) => `Tier ${Number(n) + 1}`)}: {p.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        <FormError error={save.error} />
        <PlanPreview tiers={tiers} currency={program.currency} valid={problems.length === 0} />
        <div>
          <Button variant="primary" onClick={() => void save.run()} busy={save.busy} disabled={problems.length > 0}>Save tier table</Button>
        </div>
      </div>
    </Card>
  );
}

function serverProblem(error: ApiError | null, i: number, suffix: string): string | undefined {
  if (!error) return undefined;
  return error.errors.find((e) => e.field === `plan.tiers.${i}${suffix}` || e.field === `tiers.${i}${suffix}`)?.message;
}

function PlanPreview({ tiers, currency, valid }: { tiers: Tier[]; currency: string; valid: boolean }) {
  const [ex, setEx] = useState({ customers: '3', revenue: '1500.00', interval: 'month' as 'month' | 'year', first: false, amount: '99.00' });
  const amount = parseMoney(ex.amount, currency);
  const revenue = parseMoney(ex.revenue, currency);
  const result = valid && amount !== null && revenue !== null ? preview(tiers, { customers: Number(ex.customers) || 0, revenue, interval: ex.interval, firstPayment: ex.first, amount }) : null;
  const set = (k: 'customers' | 'revenue' | 'amount') => (e: { target: { value: string } }) => setEx((x) => ({ ...x, [k]: e.target.value }));
  return (
    <section className="card card-body" style={{ background: 'var(--brand-50)', borderColor: 'var(--brand-100)' }} aria-label="Earnings preview">
      <h3>Preview: what would an example affiliate earn?</h3>
      <div className="grid grid-stats" style={{ marginTop: 12 }}>
        <Field label="Distinct customers">{(p) => <input {...p} className="input" inputMode="numeric" value={ex.customers} onChange={set('customers')} />}</Field>
        <Field label="Trailing revenue">{(p) => <input {...p} className="input" inputMode="decimal" value={ex.revenue} onChange={set('revenue')} />}</Field>
        <Field label="Payment">{(p) => <input {...p} className="input" inputMode="decimal" value={ex.amount} onChange={set('amount')} />}</Field>
        <Field label="Plan">
          {(p) => (
            <select {...p} className="select" value={ex.interval} onChange={(e) => setEx((x) => ({ ...x, interval: e.target.value as 'month' }))}>
              <option value="month">Monthly</option>
              <option value="year">Annual</option>
            </select>
          )}
        </Field>
      </div>
      <label className="check" style={{ marginTop: 10 }}>
        <input type="checkbox" checked={ex.first} onChange={(e) => setEx((x) => ({ ...x, first: e.target.checked }))} />
        <span>This is the subscription’s first full payment</span>
      </label>
      <p style={{ marginTop: 12 }} aria-live="polite" data-testid="plan-preview">
        {!result ? (
          <span className="muted">Fix the table and the example to see a preview.</span>
        ) : result.tier ? (
          <>
            On <strong>{result.tier.name}</strong> at <strong>{percent(result.rateBps)}</strong>, this payment earns <strong>{money(result.commission, currency)}</strong>
            {result.rateBps === 0 ? ' (this payment earns nothing on this tier)' : ''}.
          </>
        ) : (
          'No tier matches this example.'
        )}
      </p>
    </section>
  );
}

function TermsCard({ program, onSaved }: { program: Program; onSaved: () => void }) {
  const current = useResource<PublicProgram>(`/api/v1/portal/programs/${program.slug}`);
  const toast = useToast();
  const [version, setVersion] = useState('');
  const [text, setText] = useState<string | null>(null);
  const body = text ?? current.data?.terms_text ?? '';
  const action = useAction(async () => {
    await patch(`/api/v1/programs/${program.slug}`, { terms_version: version, terms_text: body });
    toast(`Terms version ${version} published`);
    setVersion('');
    current.reload();
    onSaved();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run();
  };
  return (
    <Card title="Terms" subtitle="Applicants accept a specific version; publishing a new one does not change what earlier applicants accepted." actions={<Badge tone="brand">Current: v {program.terms_version}</Badge>}>
      <form className="form card-body" onSubmit={submit} noValidate>
        <FormError error={action.error} />
        <Field label="Terms text" error={action.fieldError('terms_text')}>{(p) => <textarea {...p} className="textarea" rows={8} value={body} onChange={(e) => setText(e.target.value)} />}</Field>
        <Field label="New version label" error={action.fieldError('terms_version')} hint="e.g. 2027-02. Required to publish.">{(p) => <input {...p} className="input" value={version} onChange={(e) => setVersion(e.target.value)} style={{ maxWidth: 240 }} />}</Field>
        <div><Button type="submit" variant="primary" busy={action.busy} disabled={!version.trim()}>Publish new version</Button></div>
      </form>
    </Card>
  );
}

const EMPTY_MATERIAL = { kind: 'banner' as Material['kind'], title: '', body: '', image_url: '' };

function MaterialsCard({ slug }: { slug: string }) {
  const list = useResource<{ data: Material[] }>(`/api/v1/programs/${slug}/materials`);
  const toast = useToast();
  const [editing, setEditing] = useState<Material | 'new' | null>(null);
  const [f, setF] = useState(EMPTY_MATERIAL);
  const open = (m: Material | 'new') => {
    setEditing(m);
    setF(m === 'new' ? EMPTY_MATERIAL : { kind: m.kind, title: m.title, body: m.body, image_url: m.image_url ?? '' });
  };
  const save = useAction(async () => {
    const body = { kind: f.kind, title: f.title, body: f.body, image_url: f.image_url.trim() ? f.image_url.trim() : null };
    if (editing === 'new') await post(`/api/v1/programs/${slug}/materials`, body);
    else if (editing) await put(`/api/v1/programs/${slug}/materials/${editing.id}`, body);
    toast('Material saved');
    setEditing(null);
    list.reload();
  });
  const remove = useAction(async (m: Material) => {
    if (!window.confirm(`Delete “${m.title}”?`)) return;
    await del(`/api/v1/programs/${slug}/materials/${m.id}`);
    list.reload();
  });
  return (
    <Card title="Marketing materials" subtitle="Write {{link}} where each affiliate’s own link should go." actions={<Button size="sm" variant="primary" onClick={() => open('new')}>Add material</Button>}>
      <FormError error={remove.error} />
      <Loaded resource={list}>
        {({ data }) =>
          data.length === 0 ? (
            <Empty icon="🖼" title="No materials yet">Banners and email swipes help affiliates promote you the right way.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <tbody>
                  {data.map((m) => (
                    <tr key={m.id}>
                      <td><Badge>{m.kind}</Badge></td>
                      <td>
                        <strong className="break">{m.title}</strong>
                        <div className="small muted break">{m.body.slice(0, 140)}</div>
                      </td>
                      <td className="right nowrap">
                        <Button size="sm" onClick={() => open(m)}>Edit</Button> <Button size="sm" variant="ghost" onClick={() => void remove.run(m)}>Delete</Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <Modal open={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New material' : 'Edit material'}>
        <form className="form" noValidate onSubmit={(e) => { e.preventDefault(); void save.run(); }}>
          <FormError error={save.error} />
          <Field label="Kind" error={save.fieldError('kind')}>
            {(p) => (
              <select {...p} className="select" value={f.kind} onChange={(e) => setF((x) => ({ ...x, kind: e.target.value as Material['kind'] }))}>
                <option value="banner">Banner</option>
                <option value="email">Email swipe</option>
                <option value="text">Text</option>
              </select>
            )}
          </Field>
          <Field label="Title" error={save.fieldError('title')}>{(p) => <input {...p} className="input" name="material_title" value={f.title} onChange={(e) => setF((x) => ({ ...x, title: e.target.value }))} />}</Field>
          <Field label="Body" error={save.fieldError('body')} hint="Use {{link}} for the affiliate’s link.">{(p) => <textarea {...p} className="textarea" name="material_body" rows={6} value={f.body} onChange={(e) => setF((x) => ({ ...x, body: e.target.value }))} />}</Field>
          <Field label="Image URL (banners)" error={save.fieldError('image_url')}>{(p) => <input {...p} className="input" name="material_image" value={f.image_url} onChange={(e) => setF((x) => ({ ...x, image_url: e.target.value }))} placeholder="https://" />}</Field>
          <Button type="submit" variant="primary" busy={save.busy}>Save material</Button>
        </form>
      </Modal>
    </Card>
  );
}
