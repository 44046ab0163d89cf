// The tables that triggers keep beside their sources, and how far they stray from them: the soak
// checks them after a kill -9, the redirect bench after each run.

/** Runs a query and answers its rows (Subject.inspect's, or rowsOf bound to a database). */
export type Rows = <R>(text: string) => Promise<R[]>;

/** A projection and its source, each as (key, value) rows. */
export interface Projection {
  table: string;
  projection: string;
  source: string;
}

/** link_click_counts against the stored human clicks, per link (drizzle/0003). */
export const CLICK_COUNTS: Projection = {
  table: 'link_click_counts',
  projection: 'select link_id as key, clicks as value from link_click_counts',
  source: 'select link_id as key, count(*) as value from clicks where not is_bot group by link_id',
};

/** recruit_jv_nets against the ledger's JV earn and reverse entries, per recruiter and recruit (drizzle/0009's backfill). */
export const JV_NETS: Projection = {
  table: 'recruit_jv_nets',
  projection: "select program_id || ':' || recruiter_id || ':' || recruit_id as key, net as value from recruit_jv_nets",
  source: `select c.program_id || ':' || c.affiliate_id || ':' || (c.basis->>'recruitAffiliateId') as key, sum(e.amount) as value
   from ledger_entries e join commissions c on c.id = e.commission_id
   where e.type in ('earn', 'reverse') and c.kind = 'jv' and c.basis->>'recruitAffiliateId' is not null
     and e.program_id = c.program_id and e.affiliate_id = c.affiliate_id
   group by 1`,
};

/**
 * The projection's rows, and how many of them (or of the source's keys) disagree: a key missing
 * on one side counts unless its value on the other is 0.
 */
export async function projectionCheck(rows: Rows, { table, projection, source }: Projection): Promise<{ rows: number; off: number }> {
  const [count] = await rows<{ n: string }>(`select count(*) as n from ${table}`);
  const [off] = await rows<{ n: string }>(
    `select count(*) as n from (${projection}) p full join (${source}) s on s.key = p.key where coalesce(p.value, 0) <> coalesce(s.value, 0)`,
  );
  return { rows: Number(count!.n), off: Number(off!.n) };
}
