-- Retries of POST /attempts and POST /attempts/solve-adhoc: the key (student, x-trace-id) now
-- also keeps a digest of the request it stored, so a retry is told apart from a different
-- request reusing the key (409). Rows claimed before this migration have none: their retries
-- answer the stored attempt, as before.
ALTER TABLE innova.attempt_requests ADD COLUMN body_digest BYTEA;

-- The transactional outbox (decision 22): a message that asks for work (guide ingest, solution
-- regeneration, submission grading, ad-hoc solving, exercise generation, LLM classification,
-- attempt reprocessing) is written here in the same transaction as the rows it names, published
-- after the commit and then deleted. Whatever a failed publish or a crash leaves here, the relay
-- publishes later (locally at once, on Lambda every minute), so no consumer sees a message before
-- its rows and no committed work waits for ever. Delivery is at least once: consumers are
-- idempotent.
CREATE TABLE innova.outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The queue's name after `innova-backend-serverless-<stage>-` (`guide-ingest-queue`, …).
    queue           TEXT NOT NULL,
    -- The message body, JSON, exactly as published.
    body            TEXT NOT NULL,
    -- FIFO queues only.
    group_id        TEXT,
    created_at      TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Publishing attempts by the relay, and the last error, for the operator.
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    -- The relay leaves a row alone until then (backoff after a failed publish; a new row waits
    -- a few seconds for the request that wrote it to publish it itself).
    next_attempt_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX outbox_next_attempt_at_idx ON innova.outbox (next_attempt_at);
