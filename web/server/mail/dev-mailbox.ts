import type { SqlClient } from "@/server/store/sql/client";
import type { DevMail, DevMailbox } from "./types";

/** Keeps mail in the embedded database and prints it, instead of sending it. */
export function createDevMailbox(db: SqlClient, log: (line: string) => void = console.log): DevMailbox {
  return {
    async send(message) {
      await db.query("insert into embedded_auth.dev_mailbox (recipient, subject, body, link) values ($1, $2, $3, $4)", [
        message.to,
        message.subject,
        message.text,
        message.link,
      ]);
      log(`\u2709  Dev mailbox: "${message.subject}" for ${message.to}\n   ${message.link}`);
    },
    async list(email, limit = 50) {
      const rows = await db.query<{ recipient: string; subject: string; link: string; sent_at: Date | string }>(
        `select recipient, subject, link, sent_at from embedded_auth.dev_mailbox
         where $1::text is null or recipient = lower($1::text)
         order by id desc limit $2`,
        [email ?? null, limit],
      );
      return rows.map((row): DevMail => ({
        to: row.recipient,
        subject: row.subject,
        link: row.link,
        sentAt: new Date(row.sent_at).toISOString(),
      }));
    },
  };
}
