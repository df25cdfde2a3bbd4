-- Indexes for a school year of data (issue 26: a million attempts). The reference schema is kept
-- as it is: these are additions on its tables, named with the project's prefix `innova_` (the
-- schema check of `migrate --baseline` and the compatibility test ignore indexes so named), and
-- indexes on the project's own tables in schema "innova". Found by EXPLAIN on a grown database
-- (scripts/soak-attempts GROW=1 lists the plans of every statement the routes run).

-- The re-enqueue scan (hourly): attempts still PENDING after 30 minutes. Partial: a handful of
-- rows out of millions.
CREATE INDEX IF NOT EXISTS innova_attempts_pending_created_at_idx
    ON public.attempts (created_at) WHERE status = 'PENDING';

-- A student's latest attempts (mastery course view and heatmap, newest first, per student).
CREATE INDEX IF NOT EXISTS innova_attempts_student_id_created_at_idx
    ON public.attempts (student_id, created_at DESC);

-- A course's unresolved alerts, newest first (GET /alerts, the generator's dedup read).
CREATE INDEX IF NOT EXISTS innova_teacher_alerts_course_unresolved_idx
    ON public.teacher_alerts (course_id, created_at DESC) WHERE resolved_at IS NULL;

-- The scheduled pruning of the project's own tables (app::maintenance): by age.
CREATE INDEX IF NOT EXISTS attempt_requests_created_at_idx
    ON innova.attempt_requests (created_at);
CREATE INDEX IF NOT EXISTS mastery_history_recorded_at_idx
    ON innova.mastery_history (recorded_at);
