-- Grows the seeded demo database to a school year of data (scripts/soak-attempts GROW=1,
-- issue 26): 2,000 students in 21 courses, 1,000,000 attempts with two steps each over the
-- catalogue's topics (109), the mastery, history, alerts and guide submissions that go with them.
-- The demo course and its five students are left as seeded, so the routes measured on them read
-- the same rows fresh and grown: what changes is the size of the tables around them.
-- psql variables: :attempts (default 1000000 via -v), :students (default 1995 extra).
\set ON_ERROR_STOP on
SET synchronous_commit = off;

INSERT INTO courses (id, school_id, subject_id, name, grade_level, letter, academic_year)
SELECT 'grow-course-' || lpad(c::text, 2, '0'), 'seed-school-001', 'seed-subject-001',
       'Curso ' || c, 3 + c % 6, chr(65 + c % 4), 2026
FROM generate_series(1, 20) c;
-- Each grown course has its own teacher: the demo teacher's view (one course) stays the same, so
-- what the measured routes compare is the size of the tables, not a busier teacher.
INSERT INTO users (id, email, auth_role, full_name, updated_at)
SELECT 'grow-user-' || c, 'grow-teacher-' || c || '@innova.demo', 'TEACHER', 'Docente ' || c, now()
FROM generate_series(1, 20) c;
INSERT INTO teachers (id, user_id, display_name)
SELECT 'grow-teacher-' || c, 'grow-user-' || c, 'Docente ' || c FROM generate_series(1, 20) c;
INSERT INTO course_teachers (course_id, teacher_id)
SELECT 'grow-course-' || lpad(c::text, 2, '0'), 'grow-teacher-' || c FROM generate_series(1, 20) c;

INSERT INTO students (id, display_name)
SELECT 'grow-student-' || s, 'Alumno ' || s FROM generate_series(1, :students) s;
INSERT INTO enrollments (id, course_id, student_id)
SELECT 'grow-enrollment-' || s, 'grow-course-' || lpad((1 + s % 20)::text, 2, '0'),
       'grow-student-' || s
FROM generate_series(1, :students) s;

CREATE TEMP TABLE grow_topics AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM topics;
CREATE TEMP TABLE grow_tags AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM error_tags;

-- Attempts: student g % students, topic-free (typed attempts without exercise), over 200 days.
INSERT INTO attempts (id, student_id, course_id, input_mode, status, final_answer, is_correct,
                      classifier_source, error_tag_id, confidence, trace_id, created_at,
                      classified_at, updated_at)
SELECT 'grow-attempt-' || g, 'grow-student-' || (1 + g % :students),
       'grow-course-' || lpad((1 + (1 + g % :students) % 20)::text, 2, '0'),
       'DIGITAL', 'CLASSIFIED', (g % 97)::text, g % 3 = 0, 'RULE',
       (SELECT id FROM grow_tags WHERE n = g % (SELECT count(*) FROM grow_tags)),
       0.9, 'grow-trace-' || g,
       now() - make_interval(mins => (g % 288000)), now() - make_interval(mins => (g % 288000)),
       now() - make_interval(mins => (g % 288000))
FROM generate_series(1, :attempts) g;

INSERT INTO attempt_steps (id, attempt_id, step_index, content_latex, is_correct, created_at)
SELECT 'grow-step-' || g || '-' || i, 'grow-attempt-' || g, i, CASE i WHEN 0 THEN '53 - 26' ELSE '33' END,
       CASE i WHEN 1 THEN g % 3 = 0 END, now() - make_interval(mins => (g % 288000))
FROM generate_series(1, :attempts) g, generate_series(0, 1) i;

INSERT INTO innova.attempt_requests (student_id, trace_id, attempt_id, created_at)
SELECT 'grow-student-' || (1 + g % :students), 'grow-trace-' || g, 'grow-attempt-' || g,
       now() - make_interval(mins => (g % 288000))
FROM generate_series(1, :attempts) g;

-- Mastery: each grown student on 50 topics; history: 3 points each.
INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count, last_attempt_at,
                                   trend_7d, updated_at)
SELECT 'grow-student-' || s, t.id, 0.2 + (s * 7 + t.n) % 70 / 100.0, 10, now(), 0.01, now()
FROM generate_series(1, :students) s JOIN grow_topics t ON t.n < 50;
INSERT INTO innova.mastery_history (student_id, topic_id, p_known, recorded_at)
SELECT m.student_id, m.topic_id, m.p_known, now() - make_interval(days => d)
FROM student_topic_mastery m, generate_series(1, 3) d
WHERE m.student_id LIKE 'grow-student-%';

-- Alerts: 500 per grown course, nine in ten resolved.
INSERT INTO teacher_alerts (id, teacher_id, course_id, topic_id, student_id, alert_type, severity,
                            payload, created_at, resolved_at)
SELECT 'grow-alert-' || c || '-' || a, 'grow-teacher-' || c, 'grow-course-' || lpad(c::text, 2, '0'),
       NULL, NULL, 'STUDENT_DROP', 'MED', '{}'::jsonb, now() - make_interval(hours => a),
       CASE WHEN a % 10 <> 0 THEN now() - make_interval(hours => a) + interval '1 hour' END
FROM generate_series(1, 20) c, generate_series(1, 500) a;

-- Guides: one published guide of 10 questions per grown course, every student's submission to
-- every question (about 20,000 submissions).
INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key,
                    question_count, trace_id, published_at, updated_at)
SELECT 'grow-guide-' || c, 'grow-course-' || lpad(c::text, 2, '0'), 'grow-teacher-' || c,
       'Guía ' || c, 'PUBLISHED', 'guides/uploads/grow-' || c || '.pdf', 10, 'grow-guide-trace',
       now(), now()
FROM generate_series(1, 20) c;
INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, topic_id, updated_at)
SELECT 'grow-question-' || c || '-' || q, 'grow-guide-' || c, q, '53 - 26', 'APPROVED',
       (SELECT id FROM grow_topics WHERE n = q), now()
FROM generate_series(1, 20) c, generate_series(1, 10) q;
INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, status, score,
                               is_correct, trace_id, graded_at, updated_at)
SELECT 'grow-submission-' || s || '-' || q, 'grow-guide-' || (1 + s % 20),
       'grow-question-' || (1 + s % 20) || '-' || q, 'grow-student-' || s, 'GRADED',
       (s + q) % 2, (s + q) % 2 = 0, 'grow-submission-trace', now(), now()
FROM generate_series(1, :students) s, generate_series(1, 10) q;

-- As production's tables are: vacuumed and analysed (else autovacuum would work on the new rows
-- during the grown measurements).
VACUUM ANALYZE;
