// The page of the browser test: the generated client, bundled (esbuild) as an app would bundle
// it, driven from test/browser.test.mjs through window.innova.
import {
  InnovaApiError,
  authLogin,
  authMe,
  createInnovaClient,
  guidesCreate,
  guidesSourceUrl,
  unwrap,
} from '../../dist/index.js';

/** A teacher signs in, creates a guide and uploads its PDF, all from this page's origin. */
async function teacherUploadsAGuide({ apiUrl, email, password, courseId, pdf }) {
  const steps = {};
  const anonymous = createInnovaClient({ baseUrl: apiUrl });
  // JSON POST to another origin: the browser sends a CORS preflight first.
  const login = await authLogin({ client: anonymous, body: { email, password } });
  // An exposed header: readable from a cross-origin response only when the API exposes it.
  steps.loginTraceId = login.response.headers.get('x-trace-id');
  const session = await unwrap(Promise.resolve(login));

  let tokenAsked = 0;
  const api = createInnovaClient({
    baseUrl: apiUrl,
    token: async () => {
      tokenAsked += 1;
      return session.accessToken;
    },
  });
  steps.me = await unwrap(authMe({ client: api }));

  const created = await unwrap(
    guidesCreate({ client: api, body: { courseId, title: 'Guía subida desde el navegador' } }),
  );
  steps.guideId = created.guideId;
  // The presigned upload, from the browser (a cross-origin PUT: preflighted too).
  const bytes = new Uint8Array(pdf);
  const put = await fetch(created.presignedPutUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/pdf' },
    body: new Blob([bytes], { type: 'application/pdf' }),
  });
  steps.putStatus = put.status;
  steps.putTraceId = put.headers.get('x-trace-id');

  const { url } = await unwrap(guidesSourceUrl({ client: api, path: { id: created.guideId } }));
  const back = new Uint8Array(await (await fetch(url)).arrayBuffer());
  steps.roundTrip = back.length === bytes.length && back.every((b, i) => b === bytes[i]);

  // An error answer, read through the wrapper: status, code and trace id of the error body.
  try {
    await unwrap(guidesSourceUrl({ client: api, path: { id: 'no-such-guide' } }));
    steps.error = null;
  } catch (e) {
    steps.error = e instanceof InnovaApiError
      ? { statusCode: e.statusCode, code: e.code, traceId: e.traceId, name: e.name }
      : { other: String(e) };
  }
  steps.tokenAsked = tokenAsked;
  return steps;
}

/** A request to the API that CORS must refuse (this page's origin is not allowed). */
async function refused({ apiUrl }) {
  try {
    await fetch(`${apiUrl}/health`);
    return 'allowed';
  } catch (e) {
    return e instanceof TypeError ? 'blocked' : String(e);
  }
}

window.innova = { teacherUploadsAGuide, refused };
