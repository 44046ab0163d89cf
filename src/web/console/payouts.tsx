// Payout runs (R8): compose a month, review who is paid and who is withheld (and why), approve,
// send through PayPal, download PayPal's mass-payment CSV.
import { useState } from 'react';
import { post, qs, useResource } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { count, dateTime, money } from '../lib/format.js';
import type { Page, PayoutRun } from '../lib/types.js';
import { Badge, Button, Card, Empty, Field, FormError, Loaded, PageHead, Stat, StatusBadge, useAction, useToast } from '../ui/kit.js';
import { useProgram } from './main.js';

/** The month whose run is due now: the current month of the program's clock. */
function currentMonth(nowIso: string | undefined): string {
  const d = nowIso ? new Date(nowIso) : new Date();
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const REASONS: Record<string, string> = { tax_form_missing: 'Tax form missing', payout_account_missing: 'No PayPal account', tax_form_incomplete: 'Tax form incomplete' };

export function PayoutsPage() {
  const { slug, programs } = useProgram();
  const program = programs.find((p) => p.slug === slug);
  const runs = useResource<Page<PayoutRun>>(slug ? `/api/v1/payout_runs${qs({ program: slug })}` : null);
  const [month, setMonth] = useState<string | null>(null);
  const value = month ?? currentMonth(program?.now);
  const create = useAction(async () => {
    const run = await post<PayoutRun>('/api/v1/payout_runs', { program: slug, month: value });
    navigate(`/admin/payouts/${run.id}`);
  });
  return (
    <>
      <PageHead title="Payouts" subtitle="Monthly: each run pays every commission that became due before the month began, net of clawbacks. No minimum." />
      <div className="stack">
        <Card title="Run a month">
          <form className="card-body" noValidate onSubmit={(e) => { e.preventDefault(); void create.run(); }}>
            <FormError error={create.error} />
            <div className="row" style={{ alignItems: 'flex-end' }}>
              <Field label="Month" error={create.fieldError('month')}>
                {(p) => <input {...p} className="input" type="month" name="month" value={value} onChange={(e) => setMonth(e.target.value)} style={{ width: 200 }} />}
              </Field>
              <Button type="submit" variant="primary" busy={create.busy}>Compose draft run</Button>
            </div>
            <p className="small muted" style={{ marginTop: 8 }}>A draft changes nothing until you approve and send it.</p>
          </form>
        </Card>
        <Card title="Runs">
          <Loaded resource={runs}>
            {({ data }) =>
              data.length === 0 ? (
                <Empty icon="💳" title="No payout runs yet" />
              ) : (
                <div className="table-wrap">
                  <table className="table">
                    <thead><tr><th>Month</th><th>Status</th><th className="num">Items</th><th className="num">Total</th><th className="num">Withheld</th><th className="hide-sm">Created</th></tr></thead>
                    <tbody>
                      {data.map((r) => (
                        <tr key={r.id} className="clickable" onClick={() => navigate(`/admin/payouts/${r.id}`)}>
                          <td><Link to={`/admin/payouts/${r.id}`}><strong>{r.month}</strong></Link></td>
                          <td><StatusBadge status={r.status} /></td>
                          <td className="num">{count(r.items.length)}</td>
                          <td className="num">{money(r.total ?? r.items.reduce((n, i) => n + i.amount, 0), r.currency)}</td>
                          <td className="num">{count(r.withheld.length)}</td>
                          <td className="hide-sm small">{dateTime(r.created_at)}</td>
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
    </>
  );
}

export function PayoutRunPage({ id }: { id: string }) {
  const run = useResource<PayoutRun>(`/api/v1/payout_runs/${encodeURIComponent(id)}`);
  const toast = useToast();
  const approve = useAction(async () => {
    await post(`/api/v1/payout_runs/${id}/approve`);
    toast('Run approved');
    run.reload();
  });
  const send = useAction(async () => {
    if (!window.confirm('Send this run through PayPal now? Sending twice never pays twice.')) return;
    await post(`/api/v1/payout_runs/${id}/send`);
    toast('Run sent');
    run.reload();
  });
  const error = approve.error ?? send.error;
  return (
    <>
      <PageHead title={run.data ? `Payout run ${run.data.month}` : 'Payout run'} subtitle={<Link to="/admin/payouts">← All runs</Link>} />
      <Loaded resource={run}>
        {(r) => {
          const total = r.total ?? r.items.reduce((n, i) => n + i.amount, 0);
          const withheldTotal = r.withheld.reduce((n, w) => n + w.amount, 0);
          return (
            <div className="stack">
              <div className="grid grid-stats">
                <Stat label="Status" value={<StatusBadge status={r.status} />} />
                <Stat label="To pay" value={money(total, r.currency)} hint={`${count(r.items.length)} affiliates`} color="#059669" />
                <Stat label="Withheld" value={money(withheldTotal, r.currency)} hint={`${count(r.withheld.length)} affiliates wait`} color="#f59e0b" />
              </div>
              <FormError error={error} />
              {r.last_error && <div className="alert alert-bad"><span aria-hidden>⚠</span><div>{r.last_error}</div></div>}
              <div className="row">
                {r.status === 'draft' && <Button variant="primary" onClick={() => void approve.run()} busy={approve.busy}>Approve run</Button>}
                {(r.status === 'approved' || r.status === 'sending') && <Button variant="primary" onClick={() => void send.run()} busy={send.busy}>Send through PayPal</Button>}
                <a className="btn" href={`/api/v1/payout_runs/${encodeURIComponent(r.id)}/export.csv`} download>Download PayPal CSV</a>
              </div>
              <Card title="Paid in this run">
                {r.items.length === 0 ? (
                  <Empty title="Nobody to pay this month" />
                ) : (
                  <div className="table-wrap">
                    <table className="table">
                      <thead><tr><th>Affiliate</th><th className="hide-sm">PayPal</th><th className="num">Commissions</th><th className="num">Amount</th><th>Status</th></tr></thead>
                      <tbody>
                        {r.items.map((i) => (
                          <tr key={i.affiliate_id}>
                            <td><Link to={`/admin/affiliates/${i.affiliate_id}`} className="mono small">{i.affiliate_id}</Link></td>
                            <td className="hide-sm break">{i.receiver ?? '—'}</td>
                            <td className="num">{i.commission_ids.length}</td>
                            <td className="num">{money(i.amount, i.currency)}</td>
                            <td>{i.status ? <StatusBadge status={i.status} /> : null}{i.failure_reason && <div className="small muted">{i.failure_reason}</div>}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </Card>
              <Card title="Withheld" subtitle="Their due amount waits for a later run; nothing is lost.">
                {r.withheld.length === 0 ? (
                  <Empty icon="✓" title="Nobody withheld" />
                ) : (
                  <div className="table-wrap">
                    <table className="table">
                      <thead><tr><th>Affiliate</th><th className="num">Amount</th><th>Why</th></tr></thead>
                      <tbody>
                        {r.withheld.map((w) => (
                          <tr key={w.affiliate_id}>
                            <td><Link to={`/admin/affiliates/${w.affiliate_id}`} className="mono small">{w.affiliate_id}</Link></td>
                            <td className="num">{money(w.amount, r.currency)}</td>
                            <td>{w.reasons.map((x) => <Badge key={x} tone="warn">{REASONS[x] ?? x}</Badge>)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </Card>
            </div>
          );
        }}
      </Loaded>
    </>
  );
}
