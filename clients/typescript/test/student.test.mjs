// A student's day: who am I, an attempt and its verdict, mastery, assignments, courses.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  assignmentsStudent,
  attemptsCreate,
  attemptsDetail,
  attemptsStatus,
  authMe,
  classroomsStudentMine,
  masteryStudent,
  unwrap,
} from '../dist/index.js';
import { mintedClient, seed } from './helpers.mjs';

const student = mintedClient('student1');

test("a student's wrong subtraction is classified by the rule engine and moves mastery", async () => {
  const me = await unwrap(authMe({ client: student }));
  assert.equal(me.role, 'student');
  const studentId = me.profileId;
  assert.equal(studentId, seed.studentIds[0]);

  const before = await unwrap(masteryStudent({ client: student, path: { studentId } }));
  const subBefore = before.find((m) => m.topicCode === 'SUB')?.pKnown;

  // 53 - 26 = 33: the borrow was forgotten (a procedural error, not a slip).
  const verdict = await unwrap(
    attemptsCreate({
      client: student,
      body: {
        studentId,
        courseId: seed.courseId,
        exerciseId: seed.exerciseIds[0],
        topicCode: 'SUB',
        expectedAnswer: 27,
        studentAnswer: 33,
        minuend: 53,
        subtrahend: 26,
        rawSteps: [{ expression: '53 - 26 = 33', isFinal: true }],
      },
    }),
  );
  assert.equal(verdict.isCorrect, false);
  assert.equal(verdict.classifierSource, 'RULE');
  assert.notEqual(verdict.errorTagCode, 'CORRECT');
  assert.ok(verdict.confidence > 0 && verdict.confidence <= 1);

  const status = await unwrap(attemptsStatus({ client: student, path: { id: verdict.attemptId } }));
  assert.equal(status.attemptId, verdict.attemptId);
  assert.equal(status.status, 'CLASSIFIED');
  assert.equal(status.errorTagCode, verdict.errorTagCode);

  const detail = await unwrap(attemptsDetail({ client: student, path: { id: verdict.attemptId } }));
  assert.equal(detail.attemptId, verdict.attemptId);
  assert.equal(detail.isCorrect, false);

  const after = await unwrap(masteryStudent({ client: student, path: { studentId } }));
  const sub = after.find((m) => m.topicCode === 'SUB');
  assert.ok(sub, `no SUB mastery in ${JSON.stringify(after)}`);
  assert.ok(sub.pKnown >= 0 && sub.pKnown <= 1);
  if (subBefore !== undefined) assert.ok(sub.pKnown < subBefore, 'a wrong answer lowers P(known)');
});

test('a student sees their courses and assignments', async () => {
  const courses = await unwrap(classroomsStudentMine({ client: student }));
  assert.ok(courses.some((c) => c.id === seed.courseId));
  const assignments = await unwrap(
    assignmentsStudent({ client: student, path: { id: seed.studentIds[0] } }),
  );
  assert.ok(Array.isArray(assignments));
});
