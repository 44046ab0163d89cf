// @vitest-environment jsdom
// Proves the form kit shows the API's field errors next to their fields (aria-invalid, role=alert)
// and renders user text as text, never as markup.
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../lib/api.js';
import { Field, FormError, StatusBadge } from './kit.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let host: HTMLDivElement;
function render(node: React.ReactNode) {
  host = document.createElement('div');
  document.body.appendChild(host);
  const root = createRoot(host);
  act(() => root.render(node));
  return root;
}
afterEach(() => host.remove());

describe('the form kit', () => {
  it('puts an API field error next to its field and marks the input invalid', () => {
    const error = new ApiError(422, 'validation_failed', 'The request body is invalid.', [{ field: 'website', message: 'an http(s) URL' }]);
    render(
      <form>
        <FormError error={error} />
        <Field label="Website" error={error.fieldError('website')}>
          {(p) => <input {...p} name="website" />}
        </Field>
        <Field label="Answer" error={error.fieldError('answer')}>
          {(p) => <input {...p} name="answer" />}
        </Field>
      </form>,
    );
    const website = host.querySelector<HTMLInputElement>('input[name=website]')!;
    expect(website.getAttribute('aria-invalid')).toBe('true');
    const describedBy = website.getAttribute('aria-describedby')!;
    expect(host.querySelector(`[id="${describedBy}"]`)?.textContent).toContain('an http(s) URL');
    expect(host.querySelector('input[name=answer]')!.getAttribute('aria-invalid')).toBe('false');
    expect(host.querySelector('.alert')?.textContent).toContain('Some fields need your attention.');
    expect(host.querySelector<HTMLLabelElement>('label')!.htmlFor).toBe(website.id);
  });

  it('renders markup in user data as text', () => {
    const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    render(
      <div>
        <FormError error={new ApiError(409, 'tracking_link_exists', `A tracking link named "${evil}" already exists.`)} />
        <StatusBadge status={evil} />
      </div>,
    );
    expect(host.querySelector('img')).toBeNull();
    expect(host.querySelector('script')).toBeNull();
    expect(host.textContent).toContain('<img src=x onerror="window.__xss=1">');
  });
});
