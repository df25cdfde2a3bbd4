// Sign-in as the apps do it, and what a failed request looks like through the wrapper.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InnovaApiError, attemptsStatus, authLogin, authMe, unwrap } from '../dist/index.js';
import { anonymous, clientFor, signInDemo } from './helpers.mjs';

test('a demo teacher signs in with a password (POST /auth/login) and the session works', async () => {
  const { session } = await signInDemo('teacher@innova.demo');
  assert.equal(session.tokenType, 'Bearer');
  assert.equal(session.user.role, 'teacher');
  assert.ok(session.expiresInSeconds > 0);

  const me = await unwrap(authMe({ client: clientFor(session.accessToken) }));
  assert.equal(me.email, 'teacher@innova.demo');
  assert.equal(me.role, 'teacher');
  assert.equal(me.profileId, 'seed-teacher-001');
});

test('a token provider may be async, and is asked at each request', async () => {
  const { session } = await signInDemo('student3@innova.demo');
  let asked = 0;
  const { createInnovaClient } = await import('../dist/index.js');
  const api = createInnovaClient({
    baseUrl: `${process.env.INNOVA_API_URL}/`,
    token: async () => {
      asked += 1;
      return session.accessToken;
    },
  });
  assert.equal((await unwrap(authMe({ client: api }))).role, 'student');
  assert.equal((await unwrap(authMe({ client: api }))).email, 'student3@innova.demo');
  assert.equal(asked, 2);
});

test('a wrong password is an InnovaApiError 401 with the error body and its trace id', async () => {
  const call = authLogin({
    client: anonymous,
    body: { email: 'teacher@innova.demo', password: 'not-the-password' },
  });
  const error = await unwrap(call).then(
    () => assert.fail('login with a wrong password succeeded'),
    (e) => e,
  );
  assert.ok(error instanceof InnovaApiError, String(error));
  assert.equal(error.statusCode, 401);
  assert.equal(typeof error.messages, 'string');
  assert.equal(error.message, error.messages);
  assert.equal(error.code, 'Unauthorized');
  assert.equal(error.path, '/auth/login');
  assert.match(error.traceId, /^[0-9a-f-]{36}$/);
  // The trace id of the body is the one of the response header.
  assert.equal(error.traceId, (await call).response.headers.get('x-trace-id'));
});

test('without a token a protected route is a 401; an unknown id a 404', async () => {
  await assert.rejects(unwrap(authMe({ client: anonymous })), (e) => {
    assert.ok(e instanceof InnovaApiError);
    assert.equal(e.statusCode, 401);
    return true;
  });
  const { session } = await signInDemo('student4@innova.demo');
  await assert.rejects(
    unwrap(attemptsStatus({ client: clientFor(session.accessToken), path: { id: 'no-such-attempt' } })),
    (e) => {
      assert.ok(e instanceof InnovaApiError);
      assert.equal(e.statusCode, 404);
      assert.equal(e.code, 'Not Found');
      assert.ok(e.traceId);
      return true;
    },
  );
});

test('a request the contract refuses is stopped before it is sent (zod)', async () => {
  let sent = false;
  const { createInnovaClient } = await import('../dist/index.js');
  const api = createInnovaClient({
    baseUrl: process.env.INNOVA_API_URL,
    fetch: async (request) => {
      sent = true;
      return fetch(request);
    },
  });
  await assert.rejects(
    unwrap(authLogin({ client: api, body: { email: 'not an email', password: '' } })),
    (e) => e?.name === 'ZodError',
  );
  assert.equal(sent, false);
});
