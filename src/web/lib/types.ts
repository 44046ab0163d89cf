// The API's shapes as the UI reads them (api.md and the portal/console endpoints).

export interface Enrolment {
  program: string;
  application_id: string;
  status: 'pending' | 'approved' | 'denied' | 'dismissed';
  reason: string | null;
  applied_at: string;
  decided_at: string | null;
}

export interface Affiliate {
  id: string;
  username: string;
  email: string;
  name: string;
  recruited_by: string | null;
  customer_id: string | null;
  created_at: string;
  enrolments: Enrolment[];
  payout_account: { paypal_email: string } | null;
  tax_form: TaxFormStatus | null;
}

export interface Session {
  kind: 'affiliate' | 'admin';
  csrf_token: string;
  expires_at: string;
  affiliate?: Affiliate;
  security_question?: string | null;
  admin?: { id: string; email: string; name: string };
}

export interface Rates {
  first_bps: number;
  recurring_bps: number;
}
export interface Tier {
  key: string;
  name: string;
  min_customers: number;
  revenue_above: number | null;
  rates: { month: Rates; year: Rates };
}

export interface PublicProgram {
  slug: string;
  name: string;
  currency: string;
  cookie_days: number;
  hold_days: number;
  refund_days: number;
  jv_rate_bps: number;
  terms_version: string;
  terms_text: string;
  tiers: Tier[];
}

export interface Program extends Omit<PublicProgram, 'terms_text'> {
  id: string;
  landing_url: string;
  plan: 'default' | 'custom';
  test_clock: string | null;
  now: string;
  created_at: string;
  updated_at: string;
}

export interface Links {
  program: string;
  main: { code: string; url: string; clicks?: number; sales?: number };
  jv: { code: string; url: string };
  tracking: { name: string; code: string; url: string; clicks: number; sales: number }[];
}

export interface Balance {
  currency: string;
  reserve: number;
  due: number;
  paid: number;
}

export interface TierCard {
  tier: string;
  tier_name?: string;
  rate_bps: number;
  trailing_revenue: number;
  distinct_customers: number;
  currency?: string;
  next: { tier: string; revenue_needed: number; customers_needed: number } | null;
}

export interface Commission {
  id: string;
  affiliate_id?: string;
  kind: 'direct' | 'jv';
  status: 'reserve' | 'due' | 'paid' | 'reversed' | 'rejected';
  amount: number;
  currency: string;
  rate_bps: number;
  tier: string | null;
  payment_id: string;
  subscription_id?: string;
  customer_id: string;
  earned_at: string;
  due_at: string;
  reason?: string;
  reversed_amount?: number;
  explanation?: string[];
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export interface Stats {
  program: string;
  currency: string;
  from: string;
  to: string;
  totals: { clicks: number; sales: number; revenue: number; commission: number; conversion_rate_bps: number };
  daily: { date: string; clicks: number; sales: number; commission: number }[];
  links: { code: string; kind: string; name: string | null; clicks: number; sales: number; revenue: number; conversion_rate_bps: number; daily: { date: string; clicks: number; sales: number }[] }[];
}

export interface Material {
  id: string;
  program: string;
  kind: 'banner' | 'email' | 'text';
  title: string;
  body: string;
  image_url: string | null;
  link: string | null;
  created_at: string;
}

export interface Recruit {
  affiliate_id: string;
  username: string;
  name: string;
  email: string;
  status: string | null;
  clicks: number;
  sales: number;
  jv_commission_net: number;
  currency: string;
}

export interface TaxFormStatus {
  form: string;
  complete: boolean;
  missing: string[];
  tin_masked: string | null;
}

export interface Application {
  id: string;
  program_id: string;
  affiliate_id: string;
  status: Enrolment['status'];
  terms_version: string;
  terms_accepted_at: string;
  website: string | null;
  social_links: string[];
  answer: string | null;
  reason: string | null;
  decided_at: string | null;
  created_at: string;
  affiliate?: { id: string; username: string; email: string; name: string; recruited_by: string | null };
}

export interface PayoutRun {
  id: string;
  program: string;
  month: string;
  status: 'draft' | 'approved' | 'sending' | 'sent' | 'needs_reconciliation';
  currency: string;
  total?: number;
  items: { id?: string; affiliate_id: string; amount: number; currency: string; commission_ids: string[]; status?: string; receiver?: string; failure_reason?: string | null }[];
  withheld: { affiliate_id: string; amount: number; reasons: string[] }[];
  last_error?: string | null;
  created_at?: string;
  sent_at?: string | null;
}
