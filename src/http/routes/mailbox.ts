// The built-in dev mailbox: every message of the mail outbox, newest first, whether or not SMTP
// delivered it. Without SMTP_URL this is where mail goes; the admin console shows it. Admin only.
import { and, desc, eq } from 'drizzle-orm';
import { rowsBefore } from '../../store/keyset.js';
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import type { MailRow } from '../../app/mail.js';
import { mailOutbox } from '../../store/schema.js';
import { decodeCursor, page, PageQuery } from '../pagination.js';
import { iso, listEnvelope } from '../schemas.js';
import type { Api } from '../types.js';

const MailOut = z
  .object({
    id: z.string(),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    template: z.string(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'Mail' });

const mailView = (row: MailRow): z.infer<typeof MailOut> => ({
  id: row.id,
  to: row.to,
  subject: row.subject,
  text: row.text,
  template: row.template,
  created_at: row.createdAt.toISOString(),
  sent_at: iso(row.sentAt),
  error: row.error,
});

export function mailboxRoutes(app: Api, { database }: AppContext): void {
  app.get(
    '/api/v1/dev/mailbox',
    {
      schema: {
        tags: ['Mail'],
        summary: 'The dev mailbox: outgoing mail, newest first',
        querystring: PageQuery.extend({ to: z.string().optional() }),
        response: { 200: listEnvelope(MailOut) },
      },
    },
    async (request) => {
      const q = request.query;
      const cursor = decodeCursor(q.cursor);
      const rows = await database.transaction((tx) =>
        tx
          .select()
          .from(mailOutbox)
          .where(
            and(
              q.to ? eq(mailOutbox.to, q.to.trim().toLowerCase()) : undefined,
              cursor ? rowsBefore(mailOutbox.createdAt, mailOutbox.id, [cursor.at, cursor.id]) : undefined,
            ),
          )
          .orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id))
          .limit(q.limit + 1),
      );
      return page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), mailView);
    },
  );
}
