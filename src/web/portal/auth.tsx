// Login (email or username), sign-up with R10.1 username rules shown as you type, forgot and reset.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { get, post, qs, useResource, ApiError } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { percent } from '../lib/format.js';
import type { PublicProgram, Session } from '../lib/types.js';
import { Button, Field, FormError, useAction } from '../ui/kit.js';
import { useSession } from './session.js';

export function Brand({ to = '/' }: { to?: string }) {
  return (
    <Link to={to} className="brand">
      <span className="brand-mark" aria-hidden>
        A
      </span>
      <span className="brand-text">Affable Partners</span>
    </Link>
  );
}

/** The marketing side of the auth pages: the program's promise and its tier table. */
function Hero({ slug }: { slug: string | null }) {
  const list = useResource<{ data: PublicProgram[] }>(slug ? null : '/api/v1/portal/programs');
  const one = useResource<PublicProgram>(slug ? `/api/v1/portal/programs/${encodeURIComponent(slug)}` : null);
  const program = one.data ?? list.data?.data[0];
  const top = program ? Math.max(...program.tiers.map((t) => t.rates.month.recurring_bps)) : 4000;
  return (
    <aside className="auth-hero">
      <Brand />
      <div>
        <h1>
          Earn up to {percent(top)} recurring
          {program ? ` promoting ${program.name}` : ''}.
        </h1>
        <p className="lead">Get paid every month for every customer you bring — for as long as they stay subscribed.</p>
        <ul className="perks">
          <li>Recurring commission of up to {percent(top)}</li>
          <li>{program?.cookie_days ?? 30}-day cookie, last click wins</li>
          <li>Second tier: {percent(program?.jv_rate_bps ?? 1000)} of every sale of affiliates you recruit</li>
          <li>Paid monthly by PayPal, no minimum</li>
        </ul>
      </div>
      {program && (
        <div className="tier-strip" aria-label="Commission tiers">
          {program.tiers.map((t) => (
            <div key={t.key}>
              <b>{percent(t.rates.month.recurring_bps || t.rates.month.first_bps)}</b>
              <span>{t.name}</span>
            </div>
          ))}
        </div>
      )}
    </aside>
  );
}

function AuthLayout({ slug = null, children }: { slug?: string | null; children: ReactNode }) {
  return (
    <div className="auth">
      <Hero slug={slug} />
      <main className="auth-panel" id="main">
        <div className="auth-box">{children}</div>
      </main>
    </div>
  );
}

export function LoginPage({ next }: { next: string | null }) {
  const { set } = useSession();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(async () => {
    const s = await post<Session>('/api/v1/session', { login, password });
    set(s);
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run();
  };
  return (
    <AuthLayout>
      <h2>Welcome back</h2>
      <p className="sub">Sign in with your email address or your username.</p>
      <form className="form" onSubmit={submit} noValidate>
        <FormError error={action.error} />
        <Field label="Email or username" error={action.fieldError('login')}>
          {(p) => <input {...p} className="input" name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} required autoFocus />}
        </Field>
        <Field label="Password" error={action.fieldError('password')}>
          {(p) => <input {...p} className="input" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />}
        </Field>
        <Button type="submit" variant="primary" block busy={action.busy}>
          Sign in
        </Button>
        <div className="spread small">
          <Link to="/forgot">Forgot your password?</Link>
          <span className="muted">
            New here? <Link to="/signup">Become an affiliate</Link>
          </span>
        </div>
      </form>
    </AuthLayout>
  );
}

type Check = { username: string; available: boolean; code?: string; message?: string };

/** R10.1 as you type: shape rules locally, reserved words and availability from the server. */
function UsernameRules({ value, check }: { value: string; check: Check | null }) {
  const shape = /^[a-z0-9_-]*$/i.test(value);
  const length = value.length >= 3 && value.length <= 30;
  const fresh = check && check.username === value ? check : null;
  const reserved = fresh?.code === 'username_reserved';
  const taken = fresh?.code === 'username_taken';
  const state = (ok: boolean | null) => (value === '' || ok === null ? '' : ok ? 'ok' : 'bad');
  const mark = (ok: boolean | null) => (value === '' || ok === null ? '•' : ok ? '✓' : '✕');
  const items: [string, boolean | null][] = [
    ['3–30 characters', length],
    ['Letters, digits, "_" or "-" only', shape],
    ['No brand or misleading words (e.g. admin, support, official)', fresh ? !reserved : null],
    ['Not taken — and it can never be changed later', fresh ? !taken && fresh.code !== 'username_invalid' : null],
  ];
  return (
    <ul className="rules" aria-live="polite">
      {items.map(([label, ok]) => (
        <li key={label} className={state(ok)}>
          <span className="mark" aria-hidden>
            {mark(ok)}
          </span>
          <span>
            {label}
            {ok === false && label.startsWith('No brand') && fresh?.message ? ` — ${fresh.message}` : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

const QUESTIONS = ['What was the name of your first pet?', 'In which city were you born?', 'What was your first car?', 'What is your favourite book?'];

export function SignupPage({ program, jv }: { program: string | null; jv: string | null }) {
  const { set } = useSession();
  const [form, setForm] = useState({ name: '', email: '', username: '', password: '', security_question: QUESTIONS[0]!, security_answer: '' });
  const [check, setCheck] = useState<Check | null>(null);
  const update = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  useEffect(() => {
    const u = form.username;
    if (u.length < 3) return;
    const timer = setTimeout(() => {
      get<Check>(`/api/v1/portal/username_check${qs({ username: u })}`).then(setCheck, () => setCheck(null));
    }, 250);
    return () => clearTimeout(timer);
  }, [form.username]);

  const action = useAction(async () => {
    const s = await post<Session>('/api/v1/portal/signup', { ...form, ...(jv ? { jv } : {}) });
    set(s);
    navigate(`/apply/${encodeURIComponent(program ?? 'kartra')}`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run();
  };
  const usernameError = action.fieldError('username') ?? (check && check.username === form.username && !check.available ? check.message : undefined);
  return (
    <AuthLayout slug={program}>
      <div className="steps" aria-label="Step 1 of 2">
        <span className="on" />
        <span />
      </div>
      <h2>Create your affiliate account</h2>
      <p className="sub">
        Step 1 of 2. Next you will read the program terms and answer a few questions.{' '}
        {jv && <span className="badge badge-brand">Invited by a partner</span>}
      </p>
      <form className="form" onSubmit={submit} noValidate>
        <FormError error={action.error} />
        <Field label="Full name" error={action.fieldError('name')}>
          {(p) => <input {...p} className="input" name="name" autoComplete="name" value={form.name} onChange={update('name')} required />}
        </Field>
        <Field label="Email" error={action.fieldError('email')} hint="An alias like you+affiliate@gmail.com counts as a different address.">
          {(p) => <input {...p} className="input" name="email" type="email" autoComplete="email" value={form.email} onChange={update('email')} required />}
        </Field>
        <Field label="Username" error={usernameError}>
          {(p) => (
            <>
              <input {...p} className="input" name="username" autoComplete="username" value={form.username} onChange={update('username')} required spellCheck={false} />
              <UsernameRules value={form.username} check={check} />
            </>
          )}
        </Field>
        <Field label="Password" error={action.fieldError('password')} hint="At least 10 characters. A short sentence works well.">
          {(p) => <input {...p} className="input" name="password" type="password" autoComplete="new-password" value={form.password} onChange={update('password')} required minLength={10} />}
        </Field>
        <Field label="Security question" error={action.fieldError('security_question')} hint="You will need the answer to change your email or password.">
          {(p) => (
            <select {...p} className="select" name="security_question" value={form.security_question} onChange={update('security_question')}>
              {QUESTIONS.map((q) => (
                <option key={q}>{q}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Answer" error={action.fieldError('security_answer')}>
          {(p) => <input {...p} className="input" name="security_answer" autoComplete="off" value={form.security_answer} onChange={update('security_answer')} required />}
        </Field>
        <Button type="submit" variant="primary" block busy={action.busy}>
          Create account and continue
        </Button>
        <p className="small muted">
          Already an affiliate? <Link to="/login">Sign in</Link>
        </p>
      </form>
    </AuthLayout>
  );
}

export function ForgotPage() {
  const [username, setUsername] = useState('');
  const [sent, setSent] = useState(false);
  const action = useAction(async () => {
    await post('/api/v1/portal/password_reset', { username });
    setSent(true);
  });
  return (
    <AuthLayout>
      <h2>Reset your password</h2>
      <p className="sub">Enter your username. We will email you a link that works once, for one hour.</p>
      {sent ? (
        <div className="stack">
          <div className="alert alert-ok" role="status">
            <span aria-hidden>✓</span>
            <div>If an account with that username exists, a reset link is on its way. Check your spam or promotions folder too.</div>
          </div>
          <Link to="/login">Back to sign in</Link>
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
          <Field label="Username" error={action.fieldError('username')}>
            {(p) => <input {...p} className="input" name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />}
          </Field>
          <Button type="submit" variant="primary" block busy={action.busy}>
            Email me a reset link
          </Button>
          <Link to="/login" className="small">
            Back to sign in
          </Link>
        </form>
      )}
    </AuthLayout>
  );
}

export function ResetPage({ token }: { token: string }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const action = useAction(async () => {
    const res = await post<{ username: string }>('/api/v1/portal/password_reset/confirm', { token, new_password: password });
    setDone(res.username);
  });
  const tokenError = action.error instanceof ApiError ? action.fieldError('token') : undefined;
  return (
    <AuthLayout>
      <h2>Choose a new password</h2>
      <p className="sub">This link works once. Afterwards, sign in with the new password.</p>
      {done ? (
        <div className="stack">
          <div className="alert alert-ok" role="status">
            <span aria-hidden>✓</span>
            <div>Your password was changed. Every other device was signed out.</div>
          </div>
          <Button variant="primary" onClick={() => navigate('/login')}>
            Sign in as {done}
          </Button>
        </div>
      ) : (
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setMismatch(password !== confirm);
            if (password === confirm) void action.run();
          }}
        >
          {tokenError ? (
            <div className="alert alert-bad" role="alert">
              <span aria-hidden>⚠</span>
              <div>
                {action.error?.message} <Link to="/forgot">Ask for a new link</Link>.
              </div>
            </div>
          ) : (
            <FormError error={action.error} />
          )}
          <Field label="New password" error={action.fieldError('new_password')} hint="At least 10 characters.">
            {(p) => <input {...p} className="input" type="password" name="new_password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
          <Field label="Repeat it" error={mismatch ? 'The two passwords differ.' : undefined}>
            {(p) => <input {...p} className="input" type="password" name="confirm" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
          </Field>
          <Button type="submit" variant="primary" block busy={action.busy} disabled={!token}>
            Set new password
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}
