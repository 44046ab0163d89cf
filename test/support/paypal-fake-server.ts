// A local stand-in for PayPal's Payouts API (v1) that speaks its wire format: OAuth token,
// create batch, show batch. It records every request so a test can prove "exactly one batch
// was created", and it can fail on purpose, including accepting a batch and then dropping the
// connection before answering (a crash after PayPal accepted).
//
// Shapes follow PayPal's Payouts reference (developer.paypal.com/api/payments.payouts-batch/v1)
// and recorded responses: a reused sender_batch_id is refused with
//   400 {name: "USER_BUSINESS_ERROR", message: "User business error.", details: [{field:
//   "SENDER_BATCH_ID", issue: "Batch with given sender_batch_id already exists", link: [{href:
//   ".../v1/payments/payouts/<original id>", rel: "self", method: "GET"}]}]}.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeItemResult {
  /** The final transaction_status once the batch has been polled enough. */
  status: 'SUCCESS' | 'FAILED' | 'UNCLAIMED' | 'RETURNED' | 'ONHOLD' | 'BLOCKED' | 'REFUNDED' | 'REVERSED';
  errors?: { name: string; message: string };
}

export interface FakePayPalOptions {
  clientId?: string;
  clientSecret?: string;
  /** expires_in of issued tokens, in seconds. Default 32400 (PayPal's usual 9 hours). */
  tokenTtlSeconds?: number;
  /** The n-th GET of a batch is the first that shows final item statuses. Default 1. */
  pollsUntilFinal?: number;
  /** The final result of an item. Default: a receiver containing "fail" fails RECEIVER_UNREGISTERED. */
  resultFor?: (item: { receiver: string; senderItemId: string | null }) => FakeItemResult;
  /** Include the HATEOAS link to the original batch in the duplicate error. Default true. */
  duplicateLinksOriginal?: boolean;
  /** Answer a repeated PayPal-Request-Id with the first 201 instead of the duplicate error. Default false. */
  replayRequestId?: boolean;
  /** The fake's clock, for time_created and token expiry. Default: fixed 2027-03-15T12:00:00Z. */
  now?: () => Date;
}

export type FakeEndpoint = 'token' | 'createBatch' | 'getBatch';

export type FakeFault =
  /** Record the batch (PayPal accepted it), then destroy the socket without answering. */
  | { kind: 'drop-after-accept' }
  /** Destroy the socket before doing anything. */
  | { kind: 'drop-before-accept' }
  /** Answer this status and body without doing anything (e.g. 503). */
  | { kind: 'status'; status: number; body?: unknown }
  /** Do the work, then wait this long before answering (to make the client time out). */
  | { kind: 'delay-after-accept'; delayMs: number };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: string;
  endpoint: FakeEndpoint | 'unknown';
  /** The status we answered, or 'dropped' when the socket was destroyed. */
  outcome: number | 'dropped' | 'pending';
}

interface FakeItem {
  payoutItemId: string;
  transactionId: string;
  recipientType: string;
  receiver: string;
  amount: { value: string; currency: string };
  note: string | undefined;
  senderItemId: string | null;
  result: FakeItemResult;
}

export interface FakeBatch {
  payoutBatchId: string;
  senderBatchId: string | null;
  senderBatchHeader: Record<string, unknown>;
  items: FakeItem[];
  polls: number;
  timeCreated: string;
  createResponse: unknown;
}

export interface FakePayPal {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Every batch PayPal "accepted", in creation order. */
  readonly batches: FakeBatch[];
  /** Queue a one-shot fault for the next request to that endpoint. */
  injectFault(endpoint: FakeEndpoint, fault: FakeFault): void;
  /** Make every issued token invalid (the client must fetch a new one). */
  revokeTokens(): void;
  /** How many tokens were issued. */
  tokensIssued(): number;
  close(): Promise<void>;
}

const FIXED_NOW = new Date('2027-03-15T12:00:00Z');
const ERRORS_LINK = 'https://developer.paypal.com/docs/api/payments.payouts-batch/#errors';
const ZERO_DECIMAL = new Set(['JPY', 'HUF', 'TWD']);

function defaultResult(item: { receiver: string }): FakeItemResult {
  return item.receiver.toLowerCase().includes('fail')
    ? { status: 'FAILED', errors: { name: 'RECEIVER_UNREGISTERED', message: 'Receiver is unregistered' } }
    : { status: 'SUCCESS' };
}

export async function startFakePayPal(options: FakePayPalOptions = {}): Promise<FakePayPal> {
  const clientId = options.clientId ?? 'fake-client-id';
  const clientSecret = options.clientSecret ?? 'fake-client-secret';
  const ttl = options.tokenTtlSeconds ?? 32_400;
  const pollsUntilFinal = options.pollsUntilFinal ?? 1;
  const resultFor = options.resultFor ?? defaultResult;
  const duplicateLinksOriginal = options.duplicateLinksOriginal ?? true;
  const now = options.now ?? (() => FIXED_NOW);

  const requests: RecordedRequest[] = [];
  const batches: FakeBatch[] = [];
  const bySenderBatchId = new Map<string, FakeBatch>();
  const byRequestId = new Map<string, FakeBatch>();
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const faults = new Map<FakeEndpoint, FakeFault[]>();
  let counter = 0;
  let tokenCount = 0;
  let baseUrl = '';

  const nextId = (prefix: string) => `${prefix}${(++counter).toString(36).toUpperCase().padStart(11, '0')}`;
  const debugId = () => (counter * 7919 + 0xabc).toString(16).padStart(13, '0');

  function send(res: ServerResponse, record: RecordedRequest, status: number, body: unknown) {
    record.outcome = status;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Paypal-Debug-Id': debugId() });
    res.end(text);
  }

  function drop(req: IncomingMessage, record: RecordedRequest) {
    record.outcome = 'dropped';
    req.socket.destroy();
  }

  function apiError(status: number, name: string, message: string, details: unknown[] = []) {
    return { status, body: { name, message, debug_id: debugId(), information_link: ERRORS_LINK, details, links: [] } };
  }

  function authorized(req: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const expiry = match?.[1] ? tokens.get(match[1]) : undefined;
    return expiry !== undefined && now().getTime() < expiry;
  }

  function handleToken(req: IncomingMessage, body: string): { status: number; body: unknown } {
    const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } };
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 415, body: { error: 'invalid_request', error_description: 'Unsupported content type' } };
    }
    const grant = new URLSearchParams(body).get('grant_type');
    if (grant !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: grant ? `Grant Type ${grant} is not supported` : 'Grant Type is NULL' } };
    }
    tokenCount++;
    const token = `A21AAFake${tokenCount}${'x'.repeat(20)}`;
    tokens.set(token, now().getTime() + ttl * 1000);
    return {
      status: 200,
      body: {
        scope: 'https://uri.paypal.com/services/payments/payouts',
        access_token: token,
        token_type: 'Bearer',
        app_id: 'APP-80W284485P519543T',
        expires_in: ttl,
        nonce: `${now().toISOString()}fake-nonce-${tokenCount}`,
      },
    };
  }

  /** Validates like PayPal's VALIDATION_ERROR: every issue at once, with its field path. */
  function validateCreate(json: unknown): { field: string; location: string; issue: string }[] {
    const issues: { field: string; location: string; issue: string }[] = [];
    const add = (field: string, issue: string) => issues.push({ field, location: 'body', issue });
    if (typeof json !== 'object' || json === null) {
      add('body', 'Request body must be a JSON object');
      return issues;
    }
    const body = json as Record<string, unknown>;
    const header = body.sender_batch_header as Record<string, unknown> | undefined;
    if (typeof header !== 'object' || header === null) add('sender_batch_header', 'Required field missing');
    else {
      for (const key of ['sender_batch_id', 'email_subject', 'email_message', 'recipient_type']) {
        if (header[key] !== undefined && typeof header[key] !== 'string') add(`sender_batch_header.${key}`, 'Value must be a string');
      }
      if (typeof header.email_subject === 'string' && header.email_subject.length > 255) add('sender_batch_header.email_subject', 'Value is too long');
    }
    const items = body.items;
    if (!Array.isArray(items) || items.length === 0) {
      add('items', 'Required field missing');
      return issues;
    }
    if (items.length > 15_000) add('items', 'Maximum of 15000 items allowed');
    const headerType = typeof header?.recipient_type === 'string' ? header.recipient_type : undefined;
    items.forEach((raw: unknown, i) => {
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const type = (item.recipient_type as string | undefined) ?? headerType;
      if (type !== 'EMAIL' && type !== 'PHONE' && type !== 'PAYPAL_ID') add(`items[${i}].recipient_type`, 'Value is invalid (must be EMAILor PAYPAL_ID or PHONE)');
      if (typeof item.receiver !== 'string' || item.receiver === '') add(`items[${i}].receiver`, 'Required field missing');
      else if (type === 'EMAIL' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(item.receiver)) add(`items[${i}].receiver`, 'Receiver is invalid or does not match with type');
      const amount = item.amount as Record<string, unknown> | undefined;
      if (typeof amount !== 'object' || amount === null) add(`items[${i}].amount`, 'Required field missing');
      else {
        const currency = amount.currency;
        if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) add(`items[${i}].amount.currency`, 'Currency code is invalid');
        const pattern = typeof currency === 'string' && ZERO_DECIMAL.has(currency) ? /^\d{1,10}$/ : /^\d{1,10}(\.\d{1,2})?$/;
        if (typeof amount.value !== 'string' || !pattern.test(amount.value)) add(`items[${i}].amount.value`, 'Value is invalid');
        else if (/^0+(\.0+)?$/.test(amount.value)) add(`items[${i}].amount.value`, 'Value must be greater than zero');
      }
      for (const key of ['note', 'sender_item_id']) {
        if (item[key] !== undefined && typeof item[key] !== 'string') add(`items[${i}].${key}`, 'Value must be a string');
      }
    });
    return issues;
  }

  function handleCreate(req: IncomingMessage, body: string, fault: FakeFault | undefined, res: ServerResponse, record: RecordedRequest) {
    if (!authorized(req)) return respondUnauthorized(res, record);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      const e = apiError(400, 'MALFORMED_REQUEST', 'Incoming JSON request does not map to API request');
      return send(res, record, e.status, e.body);
    }
    const requestId = req.headers['paypal-request-id'];
    const replay = typeof requestId === 'string' && options.replayRequestId ? byRequestId.get(requestId) : undefined;
    if (replay) return send(res, record, 201, replay.createResponse);

    const issues = validateCreate(json);
    if (issues.length > 0) {
      const e = apiError(400, 'VALIDATION_ERROR', 'Invalid request - see details.', issues);
      return send(res, record, e.status, e.body);
    }
    const payload = json as { sender_batch_header: Record<string, unknown>; items: Record<string, unknown>[] };
    const senderBatchId = typeof payload.sender_batch_header.sender_batch_id === 'string' ? payload.sender_batch_header.sender_batch_id : null;
    const existing = senderBatchId !== null ? bySenderBatchId.get(senderBatchId) : undefined;
    if (existing) {
      const detail = {
        field: 'SENDER_BATCH_ID',
        location: 'body',
        issue: 'Batch with given sender_batch_id already exists',
        ...(duplicateLinksOriginal
          ? { link: [{ href: `${baseUrl}/v1/payments/payouts/${existing.payoutBatchId}`, rel: 'self', method: 'GET' }] }
          : {}),
      };
      const e = apiError(400, 'USER_BUSINESS_ERROR', 'User business error.', [detail]);
      return send(res, record, e.status, e.body);
    }
    const senderItemIds = payload.items.map((item) => item.sender_item_id).filter((id): id is string => typeof id === 'string');
    if (new Set(senderItemIds).size !== senderItemIds.length) {
      const e = apiError(400, 'DUPLICATE_ITEM', 'This transaction is duplicated in this batch. Please check the Ref_ID / Sender_Item_ID.');
      return send(res, record, e.status, e.body);
    }

    const payoutBatchId = nextId('PB');
    const headerType = payload.sender_batch_header.recipient_type as string | undefined;
    const batch: FakeBatch = {
      payoutBatchId,
      senderBatchId,
      senderBatchHeader: payload.sender_batch_header,
      polls: 0,
      timeCreated: now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      items: payload.items.map((item) => {
        const receiver = item.receiver as string;
        const senderItemId = (item.sender_item_id as string | undefined) ?? null;
        return {
          payoutItemId: nextId('PI'),
          transactionId: nextId('TX'),
          recipientType: (item.recipient_type as string | undefined) ?? headerType ?? 'EMAIL',
          receiver,
          amount: item.amount as { value: string; currency: string },
          note: item.note as string | undefined,
          senderItemId,
          result: resultFor({ receiver, senderItemId }),
        };
      }),
      createResponse: undefined,
    };
    batch.createResponse = {
      batch_header: { payout_batch_id: payoutBatchId, batch_status: 'PENDING', sender_batch_header: payload.sender_batch_header },
      links: [{ href: `${baseUrl}/v1/payments/payouts/${payoutBatchId}`, rel: 'self', method: 'GET', encType: 'application/json' }],
    };
    batches.push(batch);
    if (senderBatchId !== null) bySenderBatchId.set(senderBatchId, batch);
    if (typeof requestId === 'string') byRequestId.set(requestId, batch);

    if (fault?.kind === 'drop-after-accept') return drop(req, record);
    if (fault?.kind === 'delay-after-accept') {
      setTimeout(() => {
        if (!res.destroyed) send(res, record, 201, batch.createResponse);
      }, fault.delayMs);
      return;
    }
    return send(res, record, 201, batch.createResponse);
  }

  function itemView(batch: FakeBatch, item: FakeItem, final: boolean) {
    const status = final ? item.result.status : 'PENDING';
    return {
      payout_item_id: item.payoutItemId,
      ...(final && status !== 'FAILED' ? { transaction_id: item.transactionId } : {}),
      transaction_status: status,
      payout_item_fee: { currency: item.amount.currency, value: ZERO_DECIMAL.has(item.amount.currency) ? '0' : '0.00' },
      payout_batch_id: batch.payoutBatchId,
      payout_item: {
        recipient_type: item.recipientType,
        amount: item.amount,
        ...(item.note !== undefined ? { note: item.note } : {}),
        receiver: item.receiver,
        ...(item.senderItemId !== null ? { sender_item_id: item.senderItemId } : {}),
      },
      ...(final ? { time_processed: batch.timeCreated } : {}),
      ...(final && item.result.errors
        ? { errors: { ...item.result.errors, information_link: ERRORS_LINK, details: [] } }
        : {}),
      links: [{ href: `${baseUrl}/v1/payments/payouts-item/${item.payoutItemId}`, rel: 'item', method: 'GET', encType: 'application/json' }],
    };
  }

  function handleGet(req: IncomingMessage, id: string, query: URLSearchParams, res: ServerResponse, record: RecordedRequest) {
    if (!authorized(req)) return respondUnauthorized(res, record);
    const batch = batches.find((b) => b.payoutBatchId === id);
    if (!batch) {
      const e = apiError(404, 'INVALID_RESOURCE_ID', 'Requested resource ID was not found.');
      return send(res, record, e.status, e.body);
    }
    const page = Number(query.get('page') ?? '1');
    const pageSize = Number(query.get('page_size') ?? '1000');
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      const e = apiError(400, 'VALIDATION_ERROR', 'Invalid request - see details.', [
        { field: 'page_size', location: 'query', issue: 'Value is invalid' },
      ]);
      return send(res, record, e.status, e.body);
    }
    // Polls count per batch, on the first page only, so one paged read is one poll.
    if (page === 1) batch.polls++;
    const final = batch.polls >= pollsUntilFinal;
    const start = (page - 1) * pageSize;
    const slice = batch.items.slice(start, start + pageSize);
    const totalPages = Math.max(1, Math.ceil(batch.items.length / pageSize));
    const self = `${baseUrl}/v1/payments/payouts/${id}`;
    const links = [
      { href: `${self}?page_size=${pageSize}&page=${page}`, rel: 'self', method: 'GET', encType: 'application/json' },
      ...(page < totalPages ? [{ href: `${self}?page_size=${pageSize}&page=${page + 1}`, rel: 'next', method: 'GET', encType: 'application/json' }] : []),
      ...(page > 1 ? [{ href: `${self}?page_size=${pageSize}&page=${page - 1}`, rel: 'previous', method: 'GET', encType: 'application/json' }] : []),
    ];
    const currency = batch.items[0]?.amount.currency ?? 'USD';
    send(res, record, 200, {
      batch_header: {
        payout_batch_id: batch.payoutBatchId,
        batch_status: final ? 'SUCCESS' : batch.polls <= 1 ? 'PENDING' : 'PROCESSING',
        time_created: batch.timeCreated,
        ...(final ? { time_completed: batch.timeCreated } : {}),
        sender_batch_header: batch.senderBatchHeader,
        amount: { currency, value: sumValues(batch.items, currency) },
        fees: { currency, value: ZERO_DECIMAL.has(currency) ? '0' : '0.00' },
      },
      items: slice.map((item) => itemView(batch, item, final)),
      ...(query.get('total_required') === 'true' ? { total_items: batch.items.length, total_pages: totalPages } : {}),
      links,
    });
  }

  function respondUnauthorized(res: ServerResponse, record: RecordedRequest) {
    send(res, record, 401, {
      name: 'AUTHENTICATION_FAILURE',
      message: 'Authentication failed due to invalid authentication credentials or a missing Authorization header.',
      links: [{ href: 'https://developer.paypal.com/docs/api/overview/#error', rel: 'information_link' }],
    });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const body = Buffer.concat(chunks).toString('utf8');
      const getMatch = /^\/v1\/payments\/payouts\/([^/]+)$/.exec(url.pathname);
      const endpoint: FakeEndpoint | 'unknown' =
        req.method === 'POST' && url.pathname === '/v1/oauth2/token'
          ? 'token'
          : req.method === 'POST' && url.pathname === '/v1/payments/payouts'
            ? 'createBatch'
            : req.method === 'GET' && getMatch
              ? 'getBatch'
              : 'unknown';
      const record: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])),
        body,
        endpoint,
        outcome: 'pending',
      };
      requests.push(record);
      if (endpoint === 'unknown') {
        const e = apiError(404, 'NOT_FOUND', 'The specified resource does not exist.');
        return send(res, record, e.status, e.body);
      }
      const fault = faults.get(endpoint)?.shift();
      if (fault?.kind === 'drop-before-accept') return drop(req, record);
      if (fault?.kind === 'status') return send(res, record, fault.status, fault.body ?? apiError(fault.status, 'INTERNAL_SERVER_ERROR', 'An internal server error occurred.').body);
      if (endpoint === 'token') {
        const r = handleToken(req, body);
        return send(res, record, r.status, r.body);
      }
      if (endpoint === 'createBatch') return handleCreate(req, body, fault, res, record);
      return handleGet(req, decodeURIComponent(getMatch?.[1] ?? ''), url.searchParams, res, record);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    clientId,
    clientSecret,
    requests,
    batches,
    injectFault(endpoint, fault) {
      const queue = faults.get(endpoint) ?? [];
      queue.push(fault);
      faults.set(endpoint, queue);
    },
    revokeTokens() {
      tokens.clear();
    },
    tokensIssued: () => tokenCount,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Sums PayPal decimal strings in one currency with integer arithmetic. */
function sumValues(items: readonly FakeItem[], currency: string): string {
  const decimals = ZERO_DECIMAL.has(currency) ? 0 : 2;
  let total = 0n;
  for (const item of items) {
    if (item.amount.currency !== currency) continue;
    const [whole = '0', fraction = ''] = item.amount.value.split('.');
    total += BigInt(whole + fraction.padEnd(decimals, '0'));
  }
  if (decimals === 0) return total.toString();
  const text = total.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}
