// A parent's view of their child, and the admin's status page.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  InnovaApiError,
  adminKillswitchSet,
  adminStatus,
  parentChild,
  parentChildren,
  unwrap,
} from '../dist/index.js';
import { mintedClient, seed } from './helpers.mjs';

test("a parent lists their children and reads one child's summary", async () => {
  const parent = mintedClient('parent');
  const children = await unwrap(parentChildren({ client: parent }));
  assert.deepEqual(
    children.map((c) => c.studentId),
    [seed.studentIds[0]],
  );
  const summary = await unwrap(parentChild({ client: parent, path: { studentId: seed.studentIds[0] } }));
  assert.equal(summary.student.id, seed.studentIds[0]);
  assert.ok(summary.units.length > 0);
  for (const unit of summary.units) assert.ok(['high', 'mid', 'low'].includes(unit.band));

  // Someone else's child: refused.
  await assert.rejects(
    unwrap(parentChild({ client: parent, path: { studentId: seed.studentIds[1] } })),
    (e) => e instanceof InnovaApiError && e.statusCode === 403,
  );
});

test('an admin reads the status and pauses then resumes a stage', async () => {
  const admin = mintedClient('admin');
  const status = await unwrap(adminStatus({ client: admin }));
  assert.equal(typeof status.killswitches.ocrEnabled, 'boolean');
  assert.ok('llm-classify' in status.queues);
  assert.ok(Array.isArray(status.warnings));

  const paused = await unwrap(
    adminKillswitchSet({ client: admin, path: { key: 'hourlyAlertsEnabled' }, body: { enabled: false } }),
  );
  assert.deepEqual(paused, { key: 'hourlyAlertsEnabled', enabled: false });
  assert.equal((await unwrap(adminStatus({ client: admin }))).killswitches.hourlyAlertsEnabled, false);
  await unwrap(
    adminKillswitchSet({ client: admin, path: { key: 'hourlyAlertsEnabled' }, body: { enabled: true } }),
  );
  assert.equal((await unwrap(adminStatus({ client: admin }))).killswitches.hourlyAlertsEnabled, true);

  // A student is not an admin.
  await assert.rejects(
    unwrap(adminStatus({ client: mintedClient('student1') })),
    (e) => e instanceof InnovaApiError && e.statusCode === 403,
  );
});
