// A teacher's work: a course and its invitation (a student joins with the code), a guide whose
// PDF goes to the presigned URL, an assignment the student then sees, alerts.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import {
  alertsCreate,
  alertsList,
  alertsResolve,
  assignmentsCreate,
  assignmentsStudent,
  classroomsCreate,
  classroomsInvite,
  classroomsJoin,
  classroomsMine,
  guidesCreate,
  guidesGet,
  guidesIngest,
  guidesSourceUrl,
  masteryCourseHeatmap,
  unwrap,
} from '../dist/index.js';
import { clientFor, mintedClient, samplePdf, seed, signInDemo } from './helpers.mjs';

let teacher;
before(async () => {
  // The teacher signs in with a password, as in the web app.
  const { session } = await signInDemo('teacher@innova.demo');
  teacher = clientFor(session.accessToken);
});

test('a teacher creates a course and invites; a student joins it with the code', async () => {
  const course = await unwrap(
    classroomsCreate({ client: teacher, body: { gradeLevel: 5, letter: 'B', name: 'TS client 5°B' } }),
  );
  assert.equal(course.name, 'TS client 5°B');
  assert.equal(course.gradeLevel, 5);
  assert.equal(course.archivedAt ?? null, null);

  const invite = await unwrap(
    classroomsInvite({ client: teacher, path: { id: course.id }, body: { expiresInDays: 7, maxUses: 30 } }),
  );
  assert.match(invite.code, /^c[a-z0-9]{24}$/);
  assert.equal(invite.maxUses, 30);
  assert.ok(invite.url.endsWith(`code=${invite.code}`));

  const joined = await unwrap(classroomsJoin({ client: mintedClient('student2'), body: { code: invite.code } }));
  assert.equal(joined.id, course.id);

  const mine = await unwrap(classroomsMine({ client: teacher }));
  assert.ok(mine.some((c) => c.id === course.id));
  assert.ok(mine.some((c) => c.id === seed.courseId));
});

test("a guide's PDF is uploaded to the presigned URL, then read back and ingested", async () => {
  const created = await unwrap(
    guidesCreate({
      client: teacher,
      body: { courseId: seed.courseId, title: 'Restas con reserva', fileName: 'restas.pdf', dueAt: '2030-03-01' },
    }),
  );
  assert.match(created.sourcePdfKey, /^guides\/uploads\/.+\.pdf$/);

  const pdf = samplePdf();
  const put = await fetch(created.presignedPutUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/pdf' },
    body: pdf,
  });
  assert.ok(put.ok, `PUT to the presigned URL: ${put.status} ${await put.text()}`);

  // A PUT with another content type than the signed one is refused, as S3 does.
  const wrongType = await fetch(created.presignedPutUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain' },
    body: 'not a pdf',
  });
  assert.equal(wrongType.status, 403);

  const { url } = await unwrap(guidesSourceUrl({ client: teacher, path: { id: created.guideId } }));
  const stored = new Uint8Array(await (await fetch(url)).arrayBuffer());
  assert.deepEqual(stored, pdf);

  const guide = await unwrap(guidesGet({ client: teacher, path: { id: created.guideId } }));
  assert.equal(guide.title, 'Restas con reserva');
  assert.equal(guide.status, 'UPLOADED');
  assert.equal(guide.dueAt, '2030-03-01T00:00:00.000Z');

  const ingest = await unwrap(guidesIngest({ client: teacher, path: { id: created.guideId } }));
  assert.equal(ingest.status, 'EXTRACTING');
});

test('an assignment for a course reaches its students', async () => {
  const assignment = await unwrap(
    assignmentsCreate({
      client: teacher,
      body: {
        courseId: seed.courseId,
        studentIds: [seed.studentIds[0]],
        title: 'Práctica de restas',
        reason: 'TEACHER_MANUAL',
        exerciseIds: seed.exerciseIds,
        dueAt: '2030-03-08T18:00:00-03:00',
      },
    }),
  );
  assert.equal(assignment.reason, 'TEACHER_MANUAL');
  assert.equal(assignment.courseId, seed.courseId);
  assert.deepEqual(
    assignment.assignmentExercises.map((e) => e.exerciseId),
    seed.exerciseIds,
  );
  assert.equal(assignment.dueAt, '2030-03-08T21:00:00.000Z');
  assert.deepEqual(
    assignment.targets.map((t) => t.studentId),
    [seed.studentIds[0]],
  );

  const seen = await unwrap(
    assignmentsStudent({ client: mintedClient('student1'), path: { id: seed.studentIds[0] } }),
  );
  const mine = seen.find((a) => a.assignmentId === assignment.id);
  assert.ok(mine, 'the student sees the assignment');
  assert.equal(mine.status, 'PENDING');
  assert.equal(mine.assignment.title, 'Práctica de restas');
});

test('a teacher raises, lists and resolves an alert; the heatmap covers the course', async () => {
  const alert = await unwrap(
    alertsCreate({
      client: teacher,
      body: {
        courseId: seed.courseId,
        alertType: 'AT_RISK_STUDENT',
        severity: 'HIGH',
        studentId: seed.studentIds[0],
        payload: { note: 'from the TS client' },
      },
    }),
  );
  assert.equal(alert.severity, 'HIGH');
  assert.equal(alert.resolvedAt ?? null, null);

  const open = await unwrap(alertsList({ client: teacher, query: { courseId: seed.courseId } }));
  assert.ok(open.some((a) => a.id === alert.id));

  const resolved = await unwrap(alertsResolve({ client: teacher, path: { id: alert.id } }));
  assert.ok(resolved.resolvedAt);

  const heatmap = await unwrap(masteryCourseHeatmap({ client: teacher, path: { courseId: seed.courseId } }));
  assert.equal(heatmap.courseId, seed.courseId);
  assert.ok(heatmap.students.length >= 2);
});
