-- Retries of POST /attempts (issue: a retried request never applies BKT twice): the attempt that
-- each (student, x-trace-id) stored. The attempt's transaction claims its key first, so a
-- concurrent duplicate waits on the key until the first commits, then finds its attempt; a
-- rolled-back attempt releases the key. In schema "innova": "public" stays the reference's.
CREATE TABLE innova.attempt_requests (
    student_id TEXT NOT NULL,
    trace_id   TEXT NOT NULL,
    -- Deferred: the key is claimed before the attempt row exists.
    attempt_id TEXT NOT NULL REFERENCES public.attempts (id) ON DELETE CASCADE ON UPDATE CASCADE
        DEFERRABLE INITIALLY DEFERRED,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (student_id, trace_id)
);

-- Deleting attempts (a student's, by cascade) finds their keys without a scan.
CREATE INDEX attempt_requests_attempt_id_idx ON innova.attempt_requests (attempt_id);
