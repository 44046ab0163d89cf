// Applying to a program (R1.1–R1.2): the versioned terms, the application questions, the status.
import { useState, type FormEvent } from 'react';
import { post, useResource } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { date } from '../lib/format.js';
import type { Affiliate, Enrolment, PublicProgram } from '../lib/types.js';
import { Button, Card, Field, FormError, Loaded, PageHead, StatusBadge, useAction } from '../ui/kit.js';
import { useSession } from './session.js';
import { enrolmentIn } from './home.js';

export function ApplicationStatus({ program, enrolment }: { program: string; enrolment: Enrolment }) {
  const texts: Record<Enrolment['status'], { title: string; body: string; tone: string }> = {
    pending: { title: 'Your application is being reviewed', body: 'Every application is reviewed by a person. Please allow 1–3 business days; we will email you the decision.', tone: 'alert-info' },
    approved: { title: 'You are approved', body: 'Your links are ready.', tone: 'alert-ok' },
    denied: { title: 'Your application was not accepted', body: 'You can update your details and apply again.', tone: 'alert-bad' },
    dismissed: { title: 'You were dismissed from this program', body: 'Your links no longer earn commissions. What was already due will still be paid.', tone: 'alert-bad' },
  };
  const t = texts[enrolment.status];
  return (
    <Card title={<span className="row">Application <StatusBadge status={enrolment.status} /></span>} subtitle={`Submitted ${date(enrolment.applied_at)}`}>
      <div className="card-body stack">
        <div className={`alert ${t.tone}`} role="status">
          <div>
            <strong>{t.title}</strong>
            <div>{t.body}</div>
            {enrolment.reason && (
              <div style={{ marginTop: 6 }}>
                Reason: <span className="break">{enrolment.reason}</span>
              </div>
            )}
          </div>
        </div>
        {enrolment.status === 'denied' && (
          <div>
            <Link className="btn btn-primary" to={`/apply/${program}`}>
              Apply again
            </Link>
          </div>
        )}
      </div>
    </Card>
  );
}

export function ApplyPage({ slug, affiliate }: { slug: string; affiliate: Affiliate }) {
  const program = useResource<PublicProgram>(`/api/v1/portal/programs/${encodeURIComponent(slug)}`);
  const enrolment = enrolmentIn(affiliate, slug);
  if (enrolment && enrolment.status !== 'denied') {
    return (
      <>
        <PageHead title={program.data?.name ?? slug} />
        <ApplicationStatus program={slug} enrolment={enrolment} />
      </>
    );
  }
  return (
    <>
      <div className="steps" aria-label="Step 2 of 2" style={{ maxWidth: 420 }}>
        <span className="on" />
        <span className="on" />
      </div>
      <PageHead title={`Apply to ${program.data?.name ?? slug}`} subtitle="Step 2 of 2: read the terms and tell us how you will promote. Answer fully and truthfully — it is vital for the review." />
      <Card>
        <Loaded resource={program}>{(p) => <ApplyForm program={p} affiliate={affiliate} />}</Loaded>
      </Card>
    </>
  );
}

function ApplyForm({ program, affiliate }: { program: PublicProgram; affiliate: Affiliate }) {
  const { refresh } = useSession();
  const [accepted, setAccepted] = useState(false);
  const [website, setWebsite] = useState('');
  const [social, setSocial] = useState('');
  const [answer, setAnswer] = useState('');
  const [acceptError, setAcceptError] = useState<string | undefined>();
  const action = useAction(async () => {
    const socialLinks = social
      .split(/\s+/)
      .map((s) => s.trim())
      .filter(Boolean);
    await post(`/api/v1/programs/${encodeURIComponent(program.slug)}/applications`, {
      affiliate_id: affiliate.id,
      terms_version: program.terms_version,
      ...(website.trim() ? { website: website.trim() } : {}),
      ...(socialLinks.length ? { social_links: socialLinks } : {}),
      ...(answer.trim() ? { answer: answer.trim() } : {}),
    });
    await refresh();
    navigate(`/p/${program.slug}`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!accepted) {
      setAcceptError('Accept the terms to apply.');
      return;
    }
    setAcceptError(undefined);
    void action.run();
  };
  return (
    <form className="form card-body" onSubmit={submit} noValidate>
      <FormError error={action.error} />
      <div className="field">
        <div className="spread">
          <span className="label" id="terms-label">
            Affiliate terms
          </span>
          <span className="badge badge-brand">Version {program.terms_version}</span>
        </div>
        <div className="terms-box" tabIndex={0} aria-labelledby="terms-label">
          {program.terms_text || 'The merchant has not published terms text for this version.'}
        </div>
        <label className="check">
          <input type="checkbox" name="accept_terms" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} aria-invalid={!!acceptError} />
          <span>I have read and accept the affiliate terms, version {program.terms_version}.</span>
        </label>
        {(acceptError ?? action.fieldError('terms_version')) && (
          <div className="field-error" role="alert">
            ⚠ {acceptError ?? action.fieldError('terms_version')}
          </div>
        )}
      </div>
      <Field label="Your website" error={action.fieldError('website')} hint="The site where you will promote, e.g. https://example.com">
        {(p) => <input {...p} className="input" name="website" type="url" inputMode="url" value={website} onChange={(e) => setWebsite(e.target.value)} placeholder="https://" />}
      </Field>
      <Field label="Social profiles" error={action.fieldError('social_links')} hint="One link per line: YouTube, Instagram, LinkedIn, X…">
        {(p) => <textarea {...p} className="textarea" name="social_links" value={social} onChange={(e) => setSocial(e.target.value)} rows={3} />}
      </Field>
      <Field label="How will you promote us?" error={action.fieldError('answer')} hint="A few words on your audience and channels.">
        {(p) => <textarea {...p} className="textarea" name="answer" value={answer} onChange={(e) => setAnswer(e.target.value)} rows={4} maxLength={5000} />}
      </Field>
      <div className="row">
        <Button type="submit" variant="primary" busy={action.busy}>
          Submit application
        </Button>
        <span className="small muted">Decisions usually take 1–3 business days.</span>
      </div>
    </form>
  );
}
