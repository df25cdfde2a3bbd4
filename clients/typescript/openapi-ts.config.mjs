// @hey-api/openapi-ts: the client is generated from the contract, never edited by hand.
// `scripts/gen-ts-client` runs it (INNOVA_TS_OUT points it at a scratch directory for --check).
export default {
  input: '../../openapi.yaml',
  output: {
    path: process.env.INNOVA_TS_OUT ?? 'src/generated',
    // Node's ESM loader needs file extensions in relative imports (tsconfig: NodeNext).
    module: { extension: '.js' },
  },
  plugins: [
    // A fetch-based client: works in browsers, React Native, Node 18+ and edge runtimes.
    '@hey-api/client-fetch',
    // Types; enums become unions of string literals ('REVIEW' | 'PUBLISHED' | …).
    { name: '@hey-api/typescript', enums: false },
    // zod v4 schemas of every request and response.
    'zod',
    // One standalone (tree-shakeable) function per operation, validating its request before
    // sending and its response before returning.
    { name: '@hey-api/sdk', validator: { request: 'zod', response: 'zod' } },
  ],
};
