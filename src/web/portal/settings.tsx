// Payment settings (R8.3, R9.4): the PayPal account, the tax form chosen by citizenship, and the
// account itself (R10.2: changing email or password needs the security answer or the password).
import { useState, type FormEvent } from 'react';
import { ApiError, post, put, useResource } from '../lib/api.js';
import type { Session, TaxFormStatus } from '../lib/types.js';
import { Badge, Button, Card, Field, FormError, PageHead, useAction, useToast } from '../ui/kit.js';
import { useSession } from './session.js';

export function SettingsPage() {
  const { session } = useSession();
  const affiliate = session!.affiliate!;
  return (
    <>
      <PageHead title="Payments & account" subtitle="You are paid monthly by PayPal once your tax form is complete and your PayPal account is connected." />
      <div className="stack">
        <PayoutCompleteness affiliateId={affiliate.id} />
        <div className="grid grid-2">
          <PayPalCard affiliateId={affiliate.id} />
          <AccountCard />
        </div>
        <TaxFormCard affiliateId={affiliate.id} />
      </div>
    </>
  );
}

function PayoutCompleteness({ affiliateId }: { affiliateId: string }) {
  const account = useResource<{ paypal_email: string }>(`/api/v1/affiliates/${affiliateId}/payout_account`);
  const tax = useResource<TaxFormStatus>(`/api/v1/affiliates/${affiliateId}/tax_form`);
  const paypalOk = !!account.data;
  const taxOk = !!tax.data?.complete;
  const loading = account.loading || tax.loading;
  if (loading) return null;
  return (
    <div className={`alert ${paypalOk && taxOk ? 'alert-ok' : 'alert-warn'}`} role="status" data-testid="payout-readiness">
      <span aria-hidden>{paypalOk && taxOk ? '✓' : '!'}</span>
      <div>
        {paypalOk && taxOk ? (
          <strong>You are ready to be paid.</strong>
        ) : (
          <>
            <strong>Before we can pay you:</strong> {[!paypalOk && 'connect your PayPal account', !taxOk && 'complete your tax form'].filter(Boolean).join(' and ')}. Your due commissions wait for you meanwhile; nothing is lost.
          </>
        )}
      </div>
    </div>
  );
}

function PayPalCard({ affiliateId }: { affiliateId: string }) {
  const account = useResource<{ paypal_email: string; updated_at: string }>(`/api/v1/affiliates/${affiliateId}/payout_account`);
  const toast = useToast();
  const [email, setEmail] = useState<string | null>(null);
  const value = email ?? account.data?.paypal_email ?? '';
  const save = useAction(async () => {
    await put(`/api/v1/affiliates/${affiliateId}/payout_account`, { paypal_email: value });
    toast('PayPal account saved');
    account.reload();
  });
  return (
    <Card title="PayPal" subtitle="Payouts go to a PayPal business account." actions={account.data ? <Badge tone="ok">Connected</Badge> : <Badge tone="warn">Not connected</Badge>}>
      <form
        className="form card-body"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <FormError error={save.error} />
        <Field label="PayPal email" error={save.fieldError('paypal_email')}>
          {(p) => <input {...p} className="input" name="paypal_email" type="email" value={value} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />}
        </Field>
        <div>
          <Button type="submit" variant="primary" busy={save.busy}>
            Save PayPal account
          </Button>
        </div>
      </form>
    </Card>
  );
}

const EMPTY_ADDRESS = { line1: '', line2: '', city: '', state: '', postal_code: '', country: '' };

function TaxFormCard({ affiliateId }: { affiliateId: string }) {
  const status = useResource<TaxFormStatus>(`/api/v1/affiliates/${affiliateId}/tax_form`);
  const toast = useToast();
  const [citizenship, setCitizenship] = useState<'us' | 'other'>('us');
  const [legalName, setLegalName] = useState('');
  const [country, setCountry] = useState('');
  const [tin, setTin] = useState('');
  const [classification, setClassification] = useState('individual');
  const [address, setAddress] = useState(EMPTY_ADDRESS);
  const [signed, setSigned] = useState(false);
  const [signError, setSignError] = useState<string | undefined>();
  const form = citizenship === 'us' ? 'w9' : 'w8ben';
  const save = useAction(async () => {
    await put(`/api/v1/affiliates/${affiliateId}/tax_form`, {
      form,
      legal_name: legalName,
      country: form === 'w9' ? 'US' : country.toUpperCase(),
      ...(tin ? { tin } : {}),
      address: Object.fromEntries(Object.entries({ ...address, country: form === 'w9' ? 'US' : address.country || country }).filter(([, v]) => v)),
      signed_at: new Date().toISOString(),
      ...(form === 'w9' ? { federal_tax_classification: classification } : {}),
    });
    toast('Tax form saved');
    setTin('');
    status.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!signed) {
      setSignError('Sign the form to save it.');
      return;
    }
    setSignError(undefined);
    void save.run();
  };
  const addr = (k: keyof typeof EMPTY_ADDRESS) => (e: { target: { value: string } }) => setAddress((a) => ({ ...a, [k]: e.target.value }));
  const fe = (f: string) => save.fieldError(f);
  const current = status.data;
  return (
    <Card
      title="Tax information"
      subtitle="US persons file a W-9; everyone else a W-8BEN. We cannot give tax advice."
      actions={
        current ? (
          <span className="row">
            <Badge>{current.form === 'w9' ? 'W-9' : 'W-8BEN'} on file</Badge>
            {current.complete ? <Badge tone="ok">Complete</Badge> : <Badge tone="warn">Incomplete</Badge>}
          </span>
        ) : status.error?.status === 404 ? (
          <Badge tone="warn">Not filed</Badge>
        ) : null
      }
    >
      <form className="form card-body" onSubmit={submit} noValidate>
        {current && !current.complete && current.missing.length > 0 && (
          <div className="alert alert-warn">
            <span aria-hidden>!</span>
            <div>Missing: {current.missing.join(', ').replace(/_/g, ' ')}</div>
          </div>
        )}
        {current?.tin_masked && <div className="small muted">TIN on file: {current.tin_masked}</div>}
        <FormError error={save.error} />
        <Field label="Citizenship status" hint={form === 'w9' ? 'You will fill in a W-9.' : 'You will fill in a W-8BEN.'}>
          {(p) => (
            <select {...p} className="select" name="citizenship" value={citizenship} onChange={(e) => setCitizenship(e.target.value as 'us')}>
              <option value="us">US citizen or US resident (W-9)</option>
              <option value="other">Not a US person (W-8BEN)</option>
            </select>
          )}
        </Field>
        <div className="grid grid-2">
          <Field label="Legal name" error={fe('legal_name')}>
            {(p) => <input {...p} className="input" name="legal_name" value={legalName} onChange={(e) => setLegalName(e.target.value)} autoComplete="name" />}
          </Field>
          {form === 'w9' ? (
            <Field label="Federal tax classification" error={fe('federal_tax_classification')}>
              {(p) => (
                <select {...p} className="select" name="federal_tax_classification" value={classification} onChange={(e) => setClassification(e.target.value)}>
                  <option value="individual">Individual / sole proprietor</option>
                  <option value="c_corporation">C corporation</option>
                  <option value="s_corporation">S corporation</option>
                  <option value="partnership">Partnership</option>
                  <option value="llc">LLC</option>
                </select>
              )}
            </Field>
          ) : (
            <Field label="Country of citizenship (2 letters)" error={fe('country')}>
              {(p) => <input {...p} className="input" name="country" value={country} onChange={(e) => setCountry(e.target.value)} maxLength={2} placeholder="DE" autoComplete="country" />}
            </Field>
          )}
        </div>
        <Field label={form === 'w9' ? 'SSN or EIN' : 'US TIN (optional)'} error={fe('tin')} hint="Stored encrypted. Only the last four digits are ever shown.">
          {(p) => <input {...p} className="input" name="tin" value={tin} onChange={(e) => setTin(e.target.value)} autoComplete="off" inputMode="numeric" placeholder={form === 'w9' ? '123-45-6789' : ''} />}
        </Field>
        <div className="grid grid-2">
          <Field label="Address" error={fe('address.line1') ?? fe('address')}>
            {(p) => <input {...p} className="input" name="address_line1" value={address.line1} onChange={addr('line1')} autoComplete="address-line1" />}
          </Field>
          <Field label="Address line 2 (optional)">{(p) => <input {...p} className="input" name="address_line2" value={address.line2} onChange={addr('line2')} autoComplete="address-line2" />}</Field>
          <Field label="City" error={fe('address.city')}>
            {(p) => <input {...p} className="input" name="address_city" value={address.city} onChange={addr('city')} autoComplete="address-level2" />}
          </Field>
          <Field label={form === 'w9' ? 'State' : 'Region (optional)'} error={fe('address.state')}>
            {(p) => <input {...p} className="input" name="address_state" value={address.state} onChange={addr('state')} autoComplete="address-level1" />}
          </Field>
          <Field label="Postal code" error={fe('address.postal_code')}>
            {(p) => <input {...p} className="input" name="address_postal_code" value={address.postal_code} onChange={addr('postal_code')} autoComplete="postal-code" />}
          </Field>
          {form === 'w8ben' && (
            <Field label="Address country (2 letters)" error={fe('address.country')}>
              {(p) => <input {...p} className="input" name="address_country" value={address.country} onChange={addr('country')} maxLength={2} />}
            </Field>
          )}
        </div>
        <label className="check">
          <input type="checkbox" name="sign" checked={signed} onChange={(e) => setSigned(e.target.checked)} aria-invalid={!!signError} />
          <span>Under penalties of perjury, I declare that the information on this form is true, correct and complete. Checking this box signs the form today.</span>
        </label>
        {(signError ?? fe('signed_at')) && (
          <div className="field-error" role="alert">
            ⚠ {signError ?? fe('signed_at')}
          </div>
        )}
        <div>
          <Button type="submit" variant="primary" busy={save.busy}>
            Sign and save {form === 'w9' ? 'W-9' : 'W-8BEN'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function AccountCard() {
  const { session, set } = useSession();
  const affiliate = session!.affiliate!;
  const toast = useToast();
  const [mode, setMode] = useState<'email' | 'password' | null>(null);
  const [email, setEmail] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [proofKind, setProofKind] = useState<'security_answer' | 'current_password'>('security_answer');
  const [proof, setProof] = useState('');
  const action = useAction(async () => {
    const proofBody = { [proofKind]: proof };
    if (mode === 'email') {
      const a = await post<Session['affiliate']>('/api/v1/portal/account/email', { email, ...proofBody });
      set({ ...session!, affiliate: a! });
      toast('Email changed');
    } else {
      await post('/api/v1/portal/account/password', { new_password: newPassword, ...proofBody });
      toast('Password changed; other devices were signed out');
    }
    setMode(null);
    setProof('');
    setNewPassword('');
  });
  const proofError = action.fieldError(proofKind) ?? (action.error instanceof ApiError && action.error.code === 'proof_required' ? action.error.message : undefined);
  return (
    <Card title="Account" subtitle="Your username can never change.">
      <div className="card-body stack">
        <dl className="kv">
          <dt>Username</dt>
          <dd>{affiliate.username}</dd>
          <dt>Email</dt>
          <dd data-testid="account-email">{affiliate.email}</dd>
          <dt>Name</dt>
          <dd>{affiliate.name}</dd>
        </dl>
        {mode === null ? (
          <div className="row">
            <Button onClick={() => setMode('email')}>Change email</Button>
            <Button onClick={() => setMode('password')}>Change password</Button>
          </div>
        ) : (
          <form
            className="form"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              void action.run();
            }}
          >
            <FormError error={action.error} />
            {mode === 'email' ? (
              <Field label="New email" error={action.fieldError('email')}>
                {(p) => <input {...p} className="input" name="new_email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />}
              </Field>
            ) : (
              <Field label="New password" error={action.fieldError('new_password')} hint="At least 10 characters.">
                {(p) => <input {...p} className="input" name="new_password" type="password" value={newPassword} onChange={(e) => setNewPassword(e.target.value)} autoComplete="new-password" />}
              </Field>
            )}
            <Field label="Confirm with" hint={proofKind === 'security_answer' ? (session?.security_question ?? 'Your security question') : undefined}>
              {(p) => (
                <select {...p} className="select" value={proofKind} onChange={(e) => setProofKind(e.target.value as 'security_answer')}>
                  <option value="security_answer">My security answer</option>
                  <option value="current_password">My current password</option>
                </select>
              )}
            </Field>
            <Field label={proofKind === 'security_answer' ? (session?.security_question ?? 'Security answer') : 'Current password'} error={proofError}>
              {(p) => <input {...p} className="input" name={proofKind} type={proofKind === 'current_password' ? 'password' : 'text'} value={proof} onChange={(e) => setProof(e.target.value)} autoComplete="off" />}
            </Field>
            <div className="row">
              <Button type="submit" variant="primary" busy={action.busy}>
                Save
              </Button>
              <Button
                variant="ghost"
                onClick={() => {
                  setMode(null);
                  action.setError(null);
                }}
              >
                Cancel
              </Button>
            </div>
          </form>
        )}
      </div>
    </Card>
  );
}
