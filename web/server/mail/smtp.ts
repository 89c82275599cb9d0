import nodemailer from "nodemailer";
import type { Mailer } from "./types";

/** Sends real mail through an SMTP server (`smtp://user:pass@host:587` or `smtps://…:465`). */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send({ to, subject, text, html }) {
      await transport.sendMail({ from, to, subject, text, html });
    },
  };
}
