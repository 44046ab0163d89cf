// API keys (shown once, stored hashed) and the dev mailbox (the outbox when no SMTP is set).
import { useState } from 'react';
import { post, qs, useResource } from '../lib/api.js';
import { dateTime } from '../lib/format.js';
import type { Page } from '../lib/types.js';
import { Badge, Button, Card, Empty, Field, FormError, LinkBox, Loaded, PageHead, useAction, useToast } from '../ui/kit.js';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
}

export function KeysPage() {
  const keys = useResource<{ data: ApiKey[] }>('/api/v1/api_keys');
  const toast = useToast();
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const create = useAction(async () => {
    const key = await post<ApiKey & { secret: string }>('/api/v1/api_keys', { name });
    setSecret(key.secret);
    setName('');
    keys.reload();
  });
  const revoke = useAction(async (k: ApiKey) => {
    if (!window.confirm(`Revoke “${k.name}”? Integrations using it stop working at once.`)) return;
    await post(`/api/v1/api_keys/${k.id}/revoke`);
    toast('Key revoked');
    keys.reload();
  });
  return (
    <>
      <PageHead title="API keys" subtitle="Your billing system sends events with a key: Authorization: Bearer <key>." />
      <div className="stack">
        <Card title="Create a key">
          <form className="card-body form" noValidate onSubmit={(e) => { e.preventDefault(); void create.run(); }}>
            <FormError error={create.error} />
            <Field label="Name" error={create.fieldError('name')} hint="Where it is used, e.g. “billing”.">
              {(p) => (
                <div className="input-group">
                  <input {...p} className="input" name="key_name" value={name} onChange={(e) => setName(e.target.value)} />
                  <Button type="submit" variant="primary" busy={create.busy}>Create key</Button>
                </div>
              )}
            </Field>
            {secret && (
              <div className="alert alert-warn" role="status">
                <span aria-hidden>!</span>
                <div className="stack" style={{ gap: 8, flex: 1, minWidth: 0 }}>
                  <strong>Copy the key now: it is shown only once.</strong>
                  <LinkBox url={secret} label="Copy key" />
                </div>
              </div>
            )}
          </form>
        </Card>
        <Card title="Keys">
          <FormError error={revoke.error} />
          <Loaded resource={keys}>
            {({ data }) =>
              data.length === 0 ? (
                <Empty title="No keys" />
              ) : (
                <div className="table-wrap">
                  <table className="table">
                    <thead><tr><th>Name</th><th>Prefix</th><th className="hide-sm">Created</th><th>Status</th><th /></tr></thead>
                    <tbody>
                      {data.map((k) => (
                        <tr key={k.id}>
                          <td className="break"><strong>{k.name}</strong></td>
                          <td className="mono">{k.prefix}…</td>
                          <td className="hide-sm small">{dateTime(k.created_at)}</td>
                          <td>{k.revoked_at ? <Badge tone="bad">revoked</Badge> : <Badge tone="ok">active</Badge>}</td>
                          <td className="right">{!k.revoked_at && <Button size="sm" variant="ghost" onClick={() => void revoke.run(k)}>Revoke</Button>}</td>
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

interface Mail {
  id: string;
  to: string;
  subject: string;
  text: string;
  template: string;
  created_at: string;
  sent_at: string | null;
}

export function MailboxPage() {
  const [to, setTo] = useState('');
  const [query, setQuery] = useState('');
  const mail = useResource<Page<Mail>>(`/api/v1/dev/mailbox${qs({ to: query, limit: 50 })}`);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <PageHead title="Mailbox" subtitle="Outgoing mail (password resets, decisions, payouts). Without SMTP_URL it stays here." />
      <Card>
        <form className="card-body" role="search" onSubmit={(e) => { e.preventDefault(); setQuery(to); }}>
          <div className="input-group">
            <label htmlFor="mail-to" className="sr-only">Recipient</label>
            <input id="mail-to" className="input" type="search" value={to} onChange={(e) => setTo(e.target.value)} placeholder="recipient email" />
            <Button type="submit">Filter</Button>
          </div>
        </form>
        <Loaded resource={mail}>
          {({ data }) =>
            data.length === 0 ? (
              <Empty icon="✉" title="No mail" />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <tbody>
                    {data.map((m) => (
                      <tr key={m.id} className="clickable" onClick={() => setOpen(open === m.id ? null : m.id)}>
                        <td style={{ width: '100%' }}>
                          <div className="spread">
                            <strong className="break">{m.subject}</strong>
                            <span className="small muted nowrap">{dateTime(m.created_at)}</span>
                          </div>
                          <div className="small muted break">to {m.to} · <Badge>{m.template.replace(/_/g, ' ')}</Badge> {m.sent_at ? <Badge tone="ok">delivered</Badge> : null}</div>
                          {open === m.id && <div className="mail" style={{ marginTop: 10 }} data-testid="mail-body">{m.text}</div>}
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
    </>
  );
}
