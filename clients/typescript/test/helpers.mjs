// What the suites share: the running API (started by scripts/test-ts-client, which exports
// where it is, its log, and tokens minted for some demo accounts), a client per identity, and
// the real sign-in of a demo account.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  authConfirmForgotPassword,
  authForgotPassword,
  authLogin,
  createInnovaClient,
  unwrap,
} from '../dist/index.js';

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the suite with scripts/test-ts-client`);
  }
  return value;
}

/** Where the API under test listens (`http://127.0.0.1:<port>`). */
export const baseUrl = env('INNOVA_API_URL');

/** A client whose token provider returns `token` (none when absent). */
export function clientFor(token) {
  return createInnovaClient({ baseUrl, token: token ? () => token : undefined });
}

/** A client with the token scripts/test-ts-client minted for a demo account (`innova token`). */
export function mintedClient(who) {
  return clientFor(env(`INNOVA_TOKEN_${who.toUpperCase()}`));
}

/** An anonymous client. */
export const anonymous = clientFor(undefined);

/**
 * Signs a demo account in as its user would: the demo accounts have no usable password, so it
 * first goes through "forgot password" (the e-mail is written to the API's log locally, since
 * no e-mail provider is configured), sets a new password with the code of the link, then
 * `POST /auth/login`. Returns the password and the session.
 */
export async function signInDemo(email) {
  const password = `ts-client-${process.pid}-${Date.now()}`;
  const since = (await readFile(env('INNOVA_API_LOG'), 'utf8')).length;
  await unwrap(authForgotPassword({ client: anonymous, body: { email } }));
  const { code } = await resetLink(email, since);
  await unwrap(
    authConfirmForgotPassword({ client: anonymous, body: { email, code, newPassword: password } }),
  );
  const session = await unwrap(authLogin({ client: anonymous, body: { email, password } }));
  return { password, session };
}

/** The `{email, code}` of the reset link e-mailed to `email` after byte `since` of the log. */
async function resetLink(email, since) {
  for (let i = 0; i < 50; i++) {
    const log = (await readFile(env('INNOVA_API_LOG'), 'utf8')).slice(since);
    for (const line of log.split('\n')) {
      if (!line.includes(email)) continue;
      const token = /token=([A-Za-z0-9_-]+)/.exec(line)?.[1];
      if (!token) continue;
      const link = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      if (link.email === email) return link;
    }
    await sleep(100);
  }
  throw new Error(`no password-reset e-mail to ${email} in the API log`);
}

/** A small, valid one-page PDF (what a teacher uploads as a guide). */
export function samplePdf(title = 'Guia de restas') {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const text = `BT /F1 18 Tf 24 72 Td (${title.replace(/[()\\]/g, '')}: 53 - 26 = ?) Tj ET`;
  objects[3] = `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(pdf);
}

/** The demo data of `innova seed` the flows start from. */
export const seed = {
  courseId: 'seed-course-001',
  studentIds: ['seed-student-001', 'seed-student-002'],
  exerciseIds: ['seed-ex-sub-001', 'seed-ex-sub-002'],
};
