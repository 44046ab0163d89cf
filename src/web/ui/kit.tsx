// The component kit shared by the portal and the console. Text is always rendered by React
// (escaped); nothing here injects HTML.
import { createContext, useCallback, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../lib/api.js';

export function Card({ title, subtitle, actions, children, footer, className = '' }: { title?: ReactNode; subtitle?: ReactNode; actions?: ReactNode; children?: ReactNode; footer?: ReactNode; className?: string }) {
  return (
    <section className={`card ${className}`}>
      {(title || actions) && (
        <header className="card-head">
          <div>
            {title && <h2>{title}</h2>}
            {subtitle && <p>{subtitle}</p>}
          </div>
          {actions && <div className="row">{actions}</div>}
        </header>
      )}
      {children}
      {footer && <footer className="card-foot">{footer}</footer>}
    </section>
  );
}

export function Stat({ label, value, hint, color }: { label: ReactNode; value: ReactNode; hint?: ReactNode; color?: string }) {
  return (
    <div className="card stat">
      <div className="stat-label">
        {color && <span className="dot" style={{ background: color }} aria-hidden />}
        {label}
      </div>
      <div className="stat-value">{value}</div>
      {hint && <div className="stat-hint">{hint}</div>}
    </div>
  );
}

export function PageHead({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {subtitle && <p>{subtitle}</p>}
      </div>
      {actions && <div className="row">{actions}</div>}
    </div>
  );
}

export function Field({ label, error, hint, children, id }: { label: ReactNode; error?: string | undefined; hint?: ReactNode; children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode; id?: string }) {
  const generated = useId();
  const fieldId = id ?? generated;
  const describedBy = [error ? `${fieldId}-error` : '', hint ? `${fieldId}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      {children({ id: fieldId, 'aria-invalid': !!error, ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {hint && !error && (
        <div className="hint" id={`${fieldId}-hint`}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-error" id={`${fieldId}-error`} role="alert">
          <span aria-hidden>⚠</span>
          <span>{error}</span>
        </div>
      )}
    </div>
  );
}

export function FormError({ error }: { error: ApiError | Error | null | undefined }) {
  if (!error) return null;
  const fields = error instanceof ApiError ? error.errors : [];
  return (
    <div className="alert alert-bad" role="alert">
      <span aria-hidden>⚠</span>
      <div>
        <div>{error instanceof ApiError && error.code === 'validation_failed' ? 'Some fields need your attention.' : error.message}</div>
        {fields.length > 0 && <div className="small">Each is marked below.</div>}
      </div>
    </div>
  );
}

export function Button({ busy, children, variant = 'default', size, block, ...rest }: React.ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; variant?: 'default' | 'primary' | 'danger' | 'ghost'; size?: 'sm'; block?: boolean }) {
  const cls = ['btn', variant !== 'default' ? `btn-${variant}` : '', size === 'sm' ? 'btn-sm' : '', block ? 'btn-block' : '', rest.className ?? ''].filter(Boolean).join(' ');
  return (
    <button type="button" {...rest} className={cls} disabled={busy || rest.disabled} aria-busy={busy || undefined}>
      {busy && <span className="spinner" aria-hidden />}
      {children}
    </button>
  );
}

export function Badge({ tone, children }: { tone?: 'ok' | 'warn' | 'bad' | 'brand'; children: ReactNode }) {
  return <span className={`badge ${tone ? `badge-${tone}` : ''}`}>{children}</span>;
}

const STATUS_TONES: Record<string, 'ok' | 'warn' | 'bad' | 'brand' | undefined> = {
  approved: 'ok',
  paid: 'ok',
  sent: 'ok',
  due: 'brand',
  complete: 'ok',
  pending: 'warn',
  reserve: 'warn',
  draft: 'warn',
  sending: 'warn',
  denied: 'bad',
  dismissed: 'bad',
  reversed: 'bad',
  rejected: 'bad',
  failed: 'bad',
  needs_reconciliation: 'bad',
};
export function StatusBadge({ status }: { status: string }) {
  const tone = STATUS_TONES[status];
  return <span className={`badge status ${tone ? `badge-${tone}` : ''}`}>{status.replace(/_/g, ' ')}</span>;
}

export function Empty({ icon = '✦', title, children }: { icon?: string; title: ReactNode; children?: ReactNode }) {
  return (
    <div className="empty">
      <div className="icon" aria-hidden>
        {icon}
      </div>
      <h3>{title}</h3>
      {children && <div>{children}</div>}
    </div>
  );
}

export function Loading({ rows = 3, label = 'Loading…' }: { rows?: number; label?: string }) {
  return (
    <div className="card-body stack" aria-busy="true" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" style={{ height: 18, width: `${90 - i * 12}%` }} />
      ))}
    </div>
  );
}

/** A loaded value, its loading skeleton, or its error (with the API's message). */
export function Loaded<T>({ resource, children, rows }: { resource: { data: T | undefined; error: ApiError | undefined; loading: boolean }; children: (data: T) => ReactNode; rows?: number }) {
  if (resource.error && !resource.data) {
    return (
      <div className="card-body">
        <div className="alert alert-bad" role="alert">
          <span aria-hidden>⚠</span>
          <div>
            <div>{resource.error.message}</div>
            {resource.error.status === 404 && resource.error.code === 'route_not_found' && <div className="small">This part of the server is not available yet.</div>}
          </div>
        </div>
      </div>
    );
  }
  if (resource.data === undefined) return <Loading {...(rows ? { rows } : {})} />;
  return <>{children(resource.data)}</>;
}

export function CopyButton({ text, label = 'Copy', size }: { text: string; label?: string; size?: 'sm' }) {
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard blocked (http, permissions): select-and-copy fallback.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied(false), 1800);
  };
  return (
    <Button size={size} onClick={copy} className={copied ? 'btn-copied' : ''} aria-label={copied ? 'Copied' : `${label}: ${text}`}>
      {copied ? '✓ Copied' : label}
    </Button>
  );
}

export function LinkBox({ url, label }: { url: string; label?: string }) {
  return (
    <div className="link-box">
      <code title={url}>{url}</code>
      <CopyButton text={url} size="sm" label={label ?? 'Copy'} />
    </div>
  );
}

// Toasts: short confirmations that do not steal focus.
const ToastContext = createContext<(message: string) => void>(() => {});
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<{ id: number; message: string }[]>([]);
  const push = useCallback((message: string) => {
    const id = Math.random();
    setToasts((t) => [...t, { id, message }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 3200);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toast-area" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className="toast">
            {t.message}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
export const useToast = () => useContext(ToastContext);

/** Runs a mutation, keeping its busy flag and its ApiError for the form. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(null);
      try {
        return await fn(...args);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(0, 'client_error', e instanceof Error ? e.message : String(e)));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [fn],
  );
  return { run, busy, error, setError, fieldError: (f: string) => error?.fieldError(f) };
}

export function Modal({ open, onClose, title, children }: { open: boolean; onClose: () => void; title: ReactNode; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal?.();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="modal" onClose={onClose} onCancel={onClose} aria-label={typeof title === 'string' ? title : undefined}>
      {open && (
        <div>
          <header className="card-head">
            <h2>{title}</h2>
            <Button variant="ghost" size="sm" onClick={onClose} aria-label="Close">
              ✕
            </Button>
          </header>
          <div className="card-body">{children}</div>
        </div>
      )}
    </dialog>
  );
}
