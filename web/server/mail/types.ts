export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The link the mail is about (shown by the dev mailbox). */
  link: string;
}

export interface DevMail {
  to: string;
  subject: string;
  link: string;
  sentAt: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** A mailer that keeps what it sends for the developer to read (embedded mode only). */
export interface DevMailbox extends Mailer {
  list(email?: string, limit?: number): Promise<DevMail[]>;
}
