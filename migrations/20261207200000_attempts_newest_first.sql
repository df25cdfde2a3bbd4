-- A student's latest attempts in a course, in the course views' order (created_at DESC, id DESC):
-- "the newest 100 of each student in this course" (heatmap, course view) reads 100 index entries,
-- whatever the student's history, instead of every attempt of the student in the course gathered
-- and sorted (the heatmap slowed as a course's attempts grew: scripts/soak-grown). The
-- (student_id, created_at) index stays for the student-wide reads (last attempt of a student).
CREATE INDEX IF NOT EXISTS innova_attempts_student_course_created_at_idx
    ON public.attempts (student_id, course_id, created_at DESC, id DESC);
