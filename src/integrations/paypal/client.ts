// A PayPal Payouts REST client (v1) on Node's global fetch. It knows PayPal's wire format and
// nothing about our database: making a payout run "exactly once" is the caller's protocol,
// described in send-once.ts and built on two guarantees from PayPal (Payouts API reference,
// "Create batch payout" notes, developer.paypal.com/api/payments.payouts-batch/v1):
//   - PayPal never processes a sender_batch_id twice within 30 days; a reuse is refused with
//     an error that links to the original batch.
//   - After a 5xx (or no answer at all) the same request with the same sender_batch_id is safe.
import { z } from 'zod';

import { formatMinorForPayPal, MoneyFormatError, parseDecimalToMinor } from '../../compliance/money-format.js';
import {
  PayPalApiError,
  PayPalAuthError,
  PayPalDuplicateBatchError,
  PayPalInvalidRequestError,
  PayPalProtocolError,
  PayPalTransportError,
  type PayPalErrorDetail,
} from './errors.js';

export * from './errors.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface PayPalClientOptions {
  /** `PAYPAL_API_BASE`, e.g. https://api-m.sandbox.paypal.com (no trailing path). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** The clock used for the token's lifetime (style §3: no Date.now() here). */
  now: () => Date;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** Refresh the token this long before PayPal says it expires. Default 5 minutes. */
  tokenRefreshMarginMs?: number;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export type RecipientType = 'EMAIL' | 'PHONE' | 'PAYPAL_ID';

export interface CreateBatchItem {
  recipientType: RecipientType;
  /** The PayPal email (or phone / PayPal id, per recipientType). */
  receiver: string;
  amountMinor: number;
  /** ISO 4217, any case: sent upper-case. */
  currency: string;
  /** Our payout item id; PayPal echoes it back so we can match results to our items. */
  senderItemId: string;
  note?: string;
}

export interface CreateBatchInput {
  /** Deterministic per payout run (e.g. `affable-run-<runId>`): the idempotency key. */
  senderBatchId: string;
  emailSubject?: string;
  emailMessage?: string;
  items: readonly CreateBatchItem[];
}

export type BatchStatus = 'DENIED' | 'PENDING' | 'PROCESSING' | 'SUCCESS' | 'CANCELED';

export interface CreatedBatch {
  payoutBatchId: string;
  batchStatus: BatchStatus | (string & {});
  senderBatchId: string;
}

/** PayPal's item statuses (transaction_enum), plus DENIED which some responses use. */
export type TransactionStatus =
  | 'SUCCESS'
  | 'FAILED'
  | 'PENDING'
  | 'UNCLAIMED'
  | 'RETURNED'
  | 'ONHOLD'
  | 'BLOCKED'
  | 'REFUNDED'
  | 'REVERSED'
  | 'DENIED';

export interface ProviderReason {
  name: string;
  message: string;
}

/** What a PayPal item status means for our payout item (api.md: each item ends paid or failed). */
export type ItemOutcome = { kind: 'paid' } | { kind: 'failed'; reason: ProviderReason } | { kind: 'pending' };

export interface PayoutItemStatus {
  payoutItemId: string;
  transactionId: string | null;
  transactionStatus: TransactionStatus | (string & {});
  senderItemId: string | null;
  receiver: string | null;
  amountMinor: number;
  currency: string;
  errors: ProviderReason | null;
  outcome: ItemOutcome;
}

export interface PayoutBatch {
  payoutBatchId: string;
  batchStatus: BatchStatus | (string & {});
  senderBatchId: string | null;
  items: PayoutItemStatus[];
  /** True when every item is paid or failed: polling can stop. */
  settled: boolean;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------
// Status mapping

const FAILED_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'RETURNED', 'BLOCKED', 'REFUNDED', 'REVERSED', 'DENIED']);

const DEFAULT_FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  FAILED: 'The payout item failed.',
  RETURNED: 'The payout was returned (unclaimed for 30 days, or refused by the receiver).',
  BLOCKED: 'PayPal blocked the payout item.',
  REFUNDED: 'The receiver refunded the payout.',
  REVERSED: 'PayPal reversed the payout.',
  DENIED: 'PayPal denied the payout.',
  BATCH_DENIED: 'PayPal denied the whole payout batch.',
  BATCH_CANCELED: 'The payout batch was canceled.',
};

/**
 * Maps a PayPal item status to our outcome.
 * - SUCCESS → paid.
 * - FAILED, RETURNED, BLOCKED, REFUNDED, REVERSED, DENIED → failed, with PayPal's `errors`
 *   (e.g. RECEIVER_UNREGISTERED) as the reason when present. The money is not with the affiliate.
 * - PENDING, ONHOLD, UNCLAIMED and anything unknown → pending: keep polling. UNCLAIMED means the
 *   receiver has no PayPal account yet; PayPal returns the money after 30 days (→ RETURNED).
 * A DENIED or CANCELED batch fails its items that have no final status of their own.
 *
 * `classifyItemStatus('FAILED', {name: 'RECEIVER_UNREGISTERED', message: '…'})`
 *   → `{kind: 'failed', reason: {name: 'RECEIVER_UNREGISTERED', message: '…'}}`
 */
export function classifyItemStatus(
  transactionStatus: string | null | undefined,
  errors: ProviderReason | null | undefined,
  batchStatus?: string,
): ItemOutcome {
  const status = (transactionStatus ?? '').toUpperCase();
  if (status === 'SUCCESS') return { kind: 'paid' };
  if (FAILED_STATUSES.has(status)) {
    return { kind: 'failed', reason: errors ?? { name: status, message: DEFAULT_FAILURE_MESSAGES[status] ?? status } };
  }
  const batch = (batchStatus ?? '').toUpperCase();
  if (batch === 'DENIED' || batch === 'CANCELED') {
    const name = `BATCH_${batch}`;
    return { kind: 'failed', reason: errors ?? { name, message: DEFAULT_FAILURE_MESSAGES[name] ?? name } };
  }
  return { kind: 'pending' };
}

// ---------------------------------------------------------------------------------------------
// Wire schemas (lenient: PayPal adds fields; we read what we need)

const TokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
});

const ErrorBody = z
  .object({
    name: z.string().optional(),
    message: z.string().optional(),
    debug_id: z.string().optional(),
    details: z
      .array(
        z
          .object({
            field: z.string().optional(),
            location: z.string().optional(),
            issue: z.string().optional(),
            description: z.string().optional(),
            link: z.array(z.object({ href: z.string().optional(), rel: z.string().optional(), method: z.string().optional() })).optional(),
            links: z.array(z.object({ href: z.string().optional(), rel: z.string().optional(), method: z.string().optional() })).optional(),
          })
          .loose(),
      )
      .optional(),
    links: z.array(z.object({ href: z.string().optional(), rel: z.string().optional() }).loose()).optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
  })
  .loose();
type ErrorBody = z.infer<typeof ErrorBody>;

const BatchHeader = z
  .object({
    payout_batch_id: z.string().min(1),
    batch_status: z.string(),
    sender_batch_header: z.object({ sender_batch_id: z.string().optional() }).loose().optional(),
  })
  .loose();

const CreateResponse = z.object({ batch_header: BatchHeader }).loose();

const Money = z.object({ value: z.string(), currency: z.string() });

const ItemError = z.object({ name: z.string().optional(), message: z.string().optional() }).loose();

const BatchItem = z
  .object({
    payout_item_id: z.string().min(1),
    transaction_id: z.string().optional(),
    transaction_status: z.string().optional(),
    payout_item: z
      .object({
        receiver: z.string().optional(),
        sender_item_id: z.string().optional(),
        amount: Money,
      })
      .loose(),
    errors: ItemError.optional(),
  })
  .loose();

const GetBatchResponse = z
  .object({
    batch_header: BatchHeader,
    items: z.array(BatchItem).optional(),
    total_items: z.number().int().nonnegative().optional(),
    total_pages: z.number().int().nonnegative().optional(),
  })
  .loose();

// ---------------------------------------------------------------------------------------------
// Duplicate detection

// Names seen for a reused id. Only USER_BUSINESS_ERROR + SENDER_BATCH_ID is what the Payouts API
// is recorded answering; the other two are PayPal's generic idempotency errors, matched defensively.
const DUPLICATE_NAMES: ReadonlySet<string> = new Set(['DUPLICATE_REQUEST_ID', 'SENDER_BATCH_ID_ALREADY_USED']);

function isDuplicateBatch(status: number, body: ErrorBody): boolean {
  if (status !== 400 && status !== 409 && status !== 422) return false;
  if (body.name && DUPLICATE_NAMES.has(body.name)) return true;
  if (body.name !== 'USER_BUSINESS_ERROR') return false;
  return (body.details ?? []).some(
    (d) =>
      d.field?.toUpperCase() === 'SENDER_BATCH_ID' ||
      /sender_batch_id already|duplicate batch/i.test(`${d.issue ?? ''} ${d.description ?? ''}`),
  );
}

/** The original batch's id from the HATEOAS link in a duplicate error, if there is one. */
export function existingBatchIdFromDuplicate(body: unknown): string | null {
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return null;
  const hrefs = [
    ...(parsed.data.details ?? []).flatMap((d) => [...(d.link ?? []), ...(d.links ?? [])].map((l) => l.href)),
    ...(parsed.data.links ?? []).map((l) => l.href),
  ];
  for (const href of hrefs) {
    if (!href) continue;
    let path: string;
    try {
      path = new URL(href, 'https://paypal.invalid').pathname;
    } catch {
      continue;
    }
    const match = /\/v1\/payments\/payouts\/([A-Za-z0-9_-]+)\/?$/.exec(path);
    if (match?.[1]) return match[1];
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The client

const PAYOUT_ITEMS_MAX = 15_000; // PayPal: up to 15,000 items per create call.
const EMAIL_SUBJECT_MAX = 255;
const EMAIL_MESSAGE_MAX = 1000;
const DEFAULT_PAGE_SIZE = 1000;
const MAX_PAGES = 1000;

interface CachedToken {
  value: string;
  refreshAtMs: number;
}

export class PayPalClient {
  readonly baseUrl: string;
  // Private fields so neither util.inspect nor JSON.stringify of the client shows the secret.
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #now: () => Date;
  readonly #timeoutMs: number;
  readonly #marginMs: number;
  readonly #fetch: typeof fetch;
  #token: CachedToken | null = null;
  #tokenInFlight: Promise<string> | null = null;

  constructor(options: PayPalClientOptions) {
    const base = new URL(options.baseUrl); // throws on a malformed base URL
    this.baseUrl = base.origin + base.pathname.replace(/\/+$/, '');
    if (!options.clientId || !options.clientSecret) throw new PayPalInvalidRequestError('PayPal client id and secret are required.');
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#now = options.now;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#marginMs = options.tokenRefreshMarginMs ?? 5 * 60_000;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Forget the cached token (the next call fetches a new one). */
  invalidateToken(): void {
    this.#token = null;
  }

  /**
   * An OAuth access token, from cache while it has more than the refresh margin left.
   * Concurrent callers share one token request.
   */
  async accessToken(options: RequestOptions = {}): Promise<string> {
    const cached = this.#token;
    if (cached && this.#now().getTime() < cached.refreshAtMs) return cached.value;
    if (!this.#tokenInFlight) {
      this.#tokenInFlight = this.#fetchToken(options).finally(() => {
        this.#tokenInFlight = null;
      });
    }
    return this.#tokenInFlight;
  }

  async #fetchToken(options: RequestOptions): Promise<string> {
    const basic = Buffer.from(`${this.#clientId}:${this.#clientSecret}`, 'utf8').toString('base64');
    const response = await this.#send('POST', '/v1/oauth2/token', {
      headers: {
        Authorization: `Basic ${basic}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      signal: options.signal,
      outcomeMatters: false,
    });
    const body = await readJson(response);
    if (!response.ok) {
      const error = ErrorBody.safeParse(body);
      const oauthError = error.success ? (error.data.error ?? error.data.name) : undefined;
      const description = error.success ? (error.data.error_description ?? error.data.message) : undefined;
      throw new PayPalAuthError(
        response.status,
        oauthError,
        `PayPal refused the client credentials: ${response.status}${oauthError ? ` ${oauthError}` : ''}${description ? ` (${description})` : ''}`,
      );
    }
    const parsed = TokenResponse.safeParse(body);
    if (!parsed.success || parsed.data.token_type.toLowerCase() !== 'bearer') {
      throw new PayPalProtocolError('PayPal token response is not a bearer token with expires_in.');
    }
    const lifetimeMs = parsed.data.expires_in * 1000;
    // Refresh early, but never plan to refresh before half the lifetime has passed.
    const margin = Math.min(this.#marginMs, lifetimeMs / 2);
    this.#token = { value: parsed.data.access_token, refreshAtMs: this.#now().getTime() + lifetimeMs - margin };
    return parsed.data.access_token;
  }

  /**
   * `POST /v1/payments/payouts`. Sends `PayPal-Request-Id: <senderBatchId>` as well; the
   * sender_batch_id is the real guard. A reused sender_batch_id → {@link PayPalDuplicateBatchError}.
   * No answer → {@link PayPalTransportError} with `outcomeUnknown`: retry with the same input.
   */
  async createBatch(input: CreateBatchInput, options: RequestOptions = {}): Promise<CreatedBatch> {
    const body = buildCreateBody(input);
    const response = await this.#authorized('POST', '/v1/payments/payouts', {
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'PayPal-Request-Id': input.senderBatchId },
      signal: options.signal,
    });
    const json = await readJson(response);
    if (!response.ok) throw toApiError(response.status, json, input.senderBatchId);
    const parsed = CreateResponse.safeParse(json);
    if (!parsed.success) throw new PayPalProtocolError('PayPal create-payout response has no batch_header.payout_batch_id.');
    const echoed = parsed.data.batch_header.sender_batch_header?.sender_batch_id;
    if (echoed !== undefined && echoed !== input.senderBatchId) {
      throw new PayPalProtocolError(`PayPal answered for sender_batch_id "${echoed}", not "${input.senderBatchId}".`);
    }
    return {
      payoutBatchId: parsed.data.batch_header.payout_batch_id,
      batchStatus: parsed.data.batch_header.batch_status,
      senderBatchId: input.senderBatchId,
    };
  }

  /**
   * `GET /v1/payments/payouts/{id}`, following `page`/`page_size` until every item is read.
   * Each item carries its {@link ItemOutcome}; `settled` says whether polling can stop.
   */
  async getBatch(payoutBatchId: string, options: RequestOptions & { pageSize?: number } = {}): Promise<PayoutBatch> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > DEFAULT_PAGE_SIZE) {
      throw new PayPalInvalidRequestError(`page_size must be 1–${DEFAULT_PAGE_SIZE}.`);
    }
    const path = `/v1/payments/payouts/${encodeURIComponent(payoutBatchId)}`;
    const items: PayoutItemStatus[] = [];
    let header: z.infer<typeof BatchHeader> | null = null;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = new URLSearchParams({ page: String(page), page_size: String(pageSize), total_required: 'true' });
      const response = await this.#authorized('GET', `${path}?${query.toString()}`, { signal: options.signal });
      const json = await readJson(response);
      if (!response.ok) throw toApiError(response.status, json, null);
      const parsed = GetBatchResponse.safeParse(json);
      if (!parsed.success) throw new PayPalProtocolError(`PayPal batch ${payoutBatchId}: unexpected response shape.`);
      header = parsed.data.batch_header;
      const pageItems = parsed.data.items ?? [];
      for (const item of pageItems) items.push(toItemStatus(item, header.batch_status));
      const totalPages = parsed.data.total_pages;
      const totalItems = parsed.data.total_items;
      const done =
        pageItems.length === 0 ||
        (totalPages !== undefined ? page >= totalPages : totalItems !== undefined ? items.length >= totalItems : pageItems.length < pageSize);
      if (done) break;
    }
    if (!header) throw new PayPalProtocolError(`PayPal batch ${payoutBatchId}: no batch_header.`);
    const batchStatus = header.batch_status;
    const batchFinal = batchStatus === 'DENIED' || batchStatus === 'CANCELED';
    return {
      payoutBatchId: header.payout_batch_id,
      batchStatus,
      senderBatchId: header.sender_batch_header?.sender_batch_id ?? null,
      items,
      // A batch that PayPal has not expanded into items yet is not settled, unless it was refused whole.
      settled: items.length > 0 ? items.every((i) => i.outcome.kind !== 'pending') : batchFinal,
    };
  }

  /**
   * Recovery after a duplicate: reads the batch PayPal linked to and checks that it carries our
   * sender_batch_id. Returns null when PayPal gave no link (then only a stored id can help).
   */
  async adoptExistingBatch(error: PayPalDuplicateBatchError, options: RequestOptions = {}): Promise<PayoutBatch | null> {
    if (!error.existingPayoutBatchId) return null;
    const batch = await this.getBatch(error.existingPayoutBatchId, options);
    if (batch.senderBatchId !== null && batch.senderBatchId !== error.senderBatchId) {
      throw new PayPalProtocolError(
        `PayPal linked batch ${batch.payoutBatchId} for sender_batch_id "${error.senderBatchId}", but it belongs to "${batch.senderBatchId}".`,
      );
    }
    return batch;
  }

  async #authorized(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken({ signal: init.signal });
      const response = await this.#send(method, path, {
        ...init,
        headers: { Accept: 'application/json', ...init.headers, Authorization: `Bearer ${token}` },
        outcomeMatters: method !== 'GET',
      });
      // A 401 means PayPal rejected the token before doing anything: refetch it once and retry.
      if (response.status === 401 && attempt === 0) {
        await response.body?.cancel();
        this.invalidateToken();
        continue;
      }
      return response;
    }
  }

  async #send(
    method: string,
    path: string,
    init: { body?: string; headers: Record<string, string>; signal?: AbortSignal | undefined; outcomeMatters: boolean },
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const logPath = path.split('?')[0] ?? path;
    try {
      return await this.#fetch(this.baseUrl + path, { method, headers: init.headers, body: init.body, signal });
    } catch (cause) {
      const timedOut = timeout.aborted;
      // Only a refused or unresolvable connection proves PayPal never saw the request.
      const code = errnoCode(cause);
      const neverConnected = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
      throw new PayPalTransportError(method, logPath, timedOut, init.outcomeMatters && !neverConnected, cause);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function buildCreateBody(input: CreateBatchInput) {
  if (!input.senderBatchId || input.senderBatchId.length > 256) {
    throw new PayPalInvalidRequestError('sender_batch_id must be 1–256 characters.');
  }
  if (input.items.length === 0) throw new PayPalInvalidRequestError('A payout batch needs at least one item.');
  if (input.items.length > PAYOUT_ITEMS_MAX) throw new PayPalInvalidRequestError(`A payout batch holds at most ${PAYOUT_ITEMS_MAX} items.`);
  if (input.emailSubject && input.emailSubject.length > EMAIL_SUBJECT_MAX) {
    throw new PayPalInvalidRequestError(`email_subject is limited to ${EMAIL_SUBJECT_MAX} characters.`);
  }
  if (input.emailMessage && input.emailMessage.length > EMAIL_MESSAGE_MAX) {
    throw new PayPalInvalidRequestError(`email_message is limited to ${EMAIL_MESSAGE_MAX} characters.`);
  }
  const seen = new Set<string>();
  const items = input.items.map((item, index) => {
    if (!item.receiver) throw new PayPalInvalidRequestError(`items[${index}]: receiver is required.`);
    if (!item.senderItemId) throw new PayPalInvalidRequestError(`items[${index}]: sender_item_id is required.`);
    if (seen.has(item.senderItemId)) throw new PayPalInvalidRequestError(`items[${index}]: sender_item_id "${item.senderItemId}" repeats.`);
    seen.add(item.senderItemId);
    let value: string;
    try {
      value = formatMinorForPayPal(item.amountMinor, item.currency);
    } catch (error) {
      if (error instanceof MoneyFormatError) throw new PayPalInvalidRequestError(`items[${index}]: ${error.message}`);
      throw error;
    }
    return {
      recipient_type: item.recipientType,
      amount: { value, currency: item.currency.toUpperCase() },
      ...(item.note !== undefined ? { note: item.note } : {}),
      sender_item_id: item.senderItemId,
      receiver: item.receiver,
    };
  });
  return {
    sender_batch_header: {
      sender_batch_id: input.senderBatchId,
      ...(input.emailSubject !== undefined ? { email_subject: input.emailSubject } : {}),
      ...(input.emailMessage !== undefined ? { email_message: input.emailMessage } : {}),
    },
    items,
  };
}

function toItemStatus(item: z.infer<typeof BatchItem>, batchStatus: string): PayoutItemStatus {
  const currency = item.payout_item.amount.currency.toUpperCase();
  let amountMinor: number;
  try {
    amountMinor = parseDecimalToMinor(item.payout_item.amount.value, currency);
  } catch {
    throw new PayPalProtocolError(`PayPal item ${item.payout_item_id}: amount "${item.payout_item.amount.value}" is not a ${currency} amount.`);
  }
  const errors =
    item.errors && (item.errors.name || item.errors.message)
      ? { name: item.errors.name ?? 'UNKNOWN', message: item.errors.message ?? '' }
      : null;
  return {
    payoutItemId: item.payout_item_id,
    transactionId: item.transaction_id ?? null,
    transactionStatus: item.transaction_status ?? 'PENDING',
    senderItemId: item.payout_item.sender_item_id ?? null,
    receiver: item.payout_item.receiver ?? null,
    amountMinor,
    currency,
    errors,
    outcome: classifyItemStatus(item.transaction_status, errors, batchStatus),
  };
}

function toApiError(status: number, json: unknown, senderBatchId: string | null): PayPalApiError {
  const parsed = ErrorBody.safeParse(json);
  const body: ErrorBody = parsed.success ? parsed.data : {};
  const details: PayPalErrorDetail[] = (body.details ?? []).map((d) => ({
    ...(d.field !== undefined ? { field: d.field } : {}),
    ...(d.location !== undefined ? { location: d.location } : {}),
    ...(d.issue !== undefined ? { issue: d.issue } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.link ?? d.links ? { link: d.link ?? d.links } : {}),
  }));
  if (senderBatchId !== null && isDuplicateBatch(status, body)) {
    return new PayPalDuplicateBatchError(
      senderBatchId,
      existingBatchIdFromDuplicate(json),
      status,
      body.name,
      body.message,
      body.debug_id,
      details,
    );
  }
  return new PayPalApiError(status, body.name, body.message, body.debug_id, details);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (response.ok) throw new PayPalProtocolError(`PayPal answered ${response.status} with a body that is not JSON.`);
    return null;
  }
}

function errnoCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
