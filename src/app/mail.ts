// Outgoing mail through an outbox: a message is inserted into `mail_outbox` in the same
// transaction as the decision it announces (an approval, a payout), so a rolled-back decision
// never mails and a committed one is never forgotten. Delivery happens after commit: by SMTP when
// SMTP_URL is set, otherwise the mail stays in the outbox for the built-in dev mailbox.
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Tx } from '../store/db.js';
import { mailOutbox } from '../store/schema.js';
import { newId } from '../store/ids.js';
import { formatMinor } from '../compliance/money-format.js';
import type { Clock } from './clock.js';

export type MailRow = typeof mailOutbox.$inferSelect;

export type MailTemplate = 'application_approved' | 'application_denied' | 'payout_sent' | 'payout_withheld';

export interface Mail {
  template: MailTemplate;
  subject: string;
  text: string;
}

/** Writes a message to the outbox inside the caller's transaction. */
export async function queueMail(tx: Tx, clock: Clock, to: string, mail: Mail): Promise<MailRow> {
  const row = mailRow(clock, to, mail);
  await tx.insert(mailOutbox).values(row);
  return row;
}

/** The outbox row of one mail, for a caller that writes many at once (payout runs). */
export function mailRow(clock: Clock, to: string, mail: Mail): MailRow {
  return { id: newId('mail'), to, subject: mail.subject, text: mail.text, template: mail.template, createdAt: clock.now(), sentAt: null, error: null };
}

// ---------------------------------------------------------------------------------------------
// Templates: plain text, short, and saying what happens next.

const money = (amountMinor: number, currency: string) => `${formatMinor(amountMinor, currency)} ${currency.toUpperCase()}`;

export const templates = {
  applicationApproved(input: { name: string; programName: string }): Mail {
    return {
      template: 'application_approved',
      subject: `You're approved for the ${input.programName} affiliate program`,
      text: [
        `Hi ${input.name},`,
        '',
        `Your application to the ${input.programName} affiliate program was approved.`,
        'Your affiliate links are ready in the portal: every sale through them earns you a commission.',
        '',
        'To get paid, connect your PayPal account and fill in your tax form in the portal.',
      ].join('\n'),
    };
  },
  applicationDenied(input: { name: string; programName: string; reason: string }): Mail {
    return {
      template: 'application_denied',
      subject: `Your application to the ${input.programName} affiliate program`,
      text: [
        `Hi ${input.name},`,
        '',
        `Your application to the ${input.programName} affiliate program was not approved.`,
        `Reason: ${input.reason}`,
        '',
        'You may apply again once the reason above no longer applies.',
      ].join('\n'),
    };
  },
  payoutSent(input: { name: string; programName: string; month: string; amountMinor: number; currency: string; paypalEmail: string }): Mail {
    return {
      template: 'payout_sent',
      subject: `${input.programName}: your ${input.month} payout of ${money(input.amountMinor, input.currency)} was sent`,
      text: [
        `Hi ${input.name},`,
        '',
        `We sent you ${money(input.amountMinor, input.currency)} for the ${input.programName} payout run of ${input.month}.`,
        `It went to your PayPal account ${input.paypalEmail}.`,
        '',
        'Thank you for promoting us.',
      ].join('\n'),
    };
  },
  /** R8.3: withheld, with each reason spelled out; a missing tax form is one of them. */
  payoutWithheld(input: { name: string; programName: string; month: string; amountMinor: number; currency: string; reasons: readonly string[] }): Mail {
    const lines = input.reasons.map((reason) =>
      reason === 'tax_form_missing'
        ? '- Your tax form is missing or incomplete. US persons fill in a W-9, everyone else a W-8BEN, in the portal under Payment settings.'
        : reason === 'payout_account_missing'
          ? '- No PayPal account is connected. Add your PayPal email in the portal under Payment settings.'
          : `- ${reason}`,
    );
    return {
      template: 'payout_withheld',
      subject: `${input.programName}: your ${input.month} payout of ${money(input.amountMinor, input.currency)} is on hold`,
      text: [
        `Hi ${input.name},`,
        '',
        `You have ${money(input.amountMinor, input.currency)} due in the ${input.programName} payout run of ${input.month}, but we could not pay it yet:`,
        ...lines,
        '',
        'Nothing is lost: the amount stays due and is paid in the first monthly run after this is fixed.',
      ].join('\n'),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Delivery

export interface OutgoingMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
}

/** Something that delivers one message (nodemailer in production, a fake in tests). */
export interface MailTransport {
  send(message: OutgoingMessage): Promise<void>;
}

/** Messages that failed are retried for this long after they were queued, then left with their error. */
const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
const BATCH = 50;

/**
 * Delivers the outbox after commit. `kick()` starts a pass (coalesced: at most one pass runs and
 * at most one more is queued), or queues the mail.deliver job when jobs run (`deliverThrough`);
 * `deliverPending()` runs one to completion. A row is claimed by
 * setting `sent_at` before sending, so two passes (or two instances) never send it twice; a
 * failed send clears the claim and records the error for a later retry.
 */
export class MailDelivery {
  #running: Promise<void> | null = null;
  #again = false;
  #trigger: (() => void) | null = null;

  constructor(
    private readonly database: Database,
    private readonly transport: MailTransport,
    private readonly clock: Clock,
    private readonly from: string,
    private readonly log: Logger,
  ) {}

  /**
   * Hands `kick()` to a job queue (the mail.deliver job of src/jobs/mail.ts, which any instance
   * may run) instead of a pass in this process; `null` hands it back (no jobs, or shutting down).
   */
  deliverThrough(trigger: (() => void) | null): void {
    this.#trigger = trigger;
  }

  kick(): void {
    if (this.#trigger) {
      this.#trigger();
      return;
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.deliverPending().catch((error: unknown) => this.log.error({ err: error }, 'mail delivery pass failed'));
      } while (this.#again);
    })().finally(() => {
      this.#running = null;
    });
  }

  /** Waits for the current pass, if any (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Sends every unsent message (oldest first); returns how many were sent. */
  async deliverPending(): Promise<number> {
    let sent = 0;
    for (;;) {
      const since = new Date(this.clock.now().getTime() - RETRY_WINDOW_MS);
      const batch = await this.database.transaction((tx) =>
        tx
          .select()
          .from(mailOutbox)
          .where(and(isNull(mailOutbox.sentAt), gt(mailOutbox.createdAt, since)))
          .orderBy(asc(mailOutbox.createdAt), asc(mailOutbox.id))
          .limit(BATCH),
      );
      let progressed = false;
      for (const row of batch) {
        const claimed = await this.database.transaction((tx) =>
          tx
            .update(mailOutbox)
            .set({ sentAt: this.clock.now() })
            .where(and(eq(mailOutbox.id, row.id), isNull(mailOutbox.sentAt)))
            .returning({ id: mailOutbox.id }),
        );
        if (claimed.length === 0) continue;
        try {
          await this.transport.send({ from: this.from, to: row.to, subject: row.subject, text: row.text });
          await this.database.transaction((tx) => tx.update(mailOutbox).set({ error: null }).where(eq(mailOutbox.id, row.id)));
          sent += 1;
          progressed = true;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.log.warn({ mailId: row.id, template: row.template, err: message }, 'mail delivery failed; will retry');
          await this.database.transaction((tx) =>
            tx.update(mailOutbox).set({ sentAt: null, error: message.slice(0, 500) }).where(eq(mailOutbox.id, row.id)),
          );
        }
      }
      // Stop when the batch was the last one, or when nothing in it could be sent (retry next pass).
      if (batch.length < BATCH || !progressed) return sent;
    }
  }
}

/** SMTP through nodemailer (`SMTP_URL`, e.g. `smtp://user:pass@mail.example.com:587`). */
export async function smtpTransport(url: string): Promise<MailTransport> {
  const nodemailer = await import('nodemailer');
  const transporter = nodemailer.createTransport(url);
  return {
    send: async (message) => {
      await transporter.sendMail(message);
    },
  };
}
