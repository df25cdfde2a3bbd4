-- Innova's own tables live in the schema "innova", never in "public": "public" stays exactly the
-- reference system's schema (decisions §1), so a database it created can be switched over with
-- `innova migrate --baseline` (which verifies "public" and marks the initial migration applied;
-- this migration then runs normally).

CREATE SCHEMA IF NOT EXISTS innova;

-- pKnown after each BKT update, from which student_topic_mastery.trend_7d is computed
-- (decision 18: the change in pKnown over the last 7 days). Rows older than the last one before
-- the 7-day window are pruned on every update, so the table stays small.
CREATE TABLE innova.mastery_history (
    student_id  TEXT NOT NULL REFERENCES public.students (id) ON DELETE CASCADE ON UPDATE CASCADE,
    topic_id    TEXT NOT NULL REFERENCES public.topics (id) ON DELETE CASCADE ON UPDATE CASCADE,
    p_known     DOUBLE PRECISION NOT NULL,
    recorded_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX mastery_history_student_topic_recorded_at_idx
    ON innova.mastery_history (student_id, topic_id, recorded_at);
