// Type-level tests (`npm run typecheck`, run by scripts/test-ts-client): what the generated types
// promise an app. A line marked @ts-expect-error that compiles fails the check.
import {
  type GuideStatus,
  type InnovaApiError,
  type Me,
  type RoleName,
  authMe,
  createInnovaClient,
  guidesCreate,
  unwrap,
} from '../src/index.js';

// Enums are unions of string literals.
export const published: GuideStatus = 'PUBLISHED';
// @ts-expect-error: not a value of the enum (case matters)
export const lower: GuideStatus = 'published';
export const roles: RoleName[] = ['student', 'teacher', 'parent', 'admin'];

const api = createInnovaClient({ baseUrl: 'http://localhost:3000', token: async () => null });

export async function unwrapped(): Promise<void> {
  // unwrap() returns the envelope's data, typed.
  const me: Me = await unwrap(authMe({ client: api }));
  const role: RoleName = me.role;
  // @ts-expect-error: the envelope is gone
  void me.statusCode;
  void role;

  const created = await unwrap(guidesCreate({ client: api, body: { courseId: 'c', title: 't' } }));
  const url: string = created.presignedPutUrl;
  void url;
  // @ts-expect-error: a required field is missing
  void guidesCreate({ client: api, body: { courseId: 'c' } });
}

export function errorFields(e: InnovaApiError): [number, string | string[], string, string | undefined] {
  return [e.statusCode, e.messages, e.code, e.traceId];
}
