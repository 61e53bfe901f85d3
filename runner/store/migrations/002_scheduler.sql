-- Scheduler: retry state per rotation and a history of every attempt (no secret in it).

ALTER TABLE rotations ADD COLUMN retry_attempt integer NOT NULL DEFAULT 0;

CREATE TABLE rotation_history (
  id            bigserial PRIMARY KEY,
  rotation_id   uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
  job_id        uuid,
  attempt       integer NOT NULL,
  trigger       text NOT NULL,
  result        text NOT NULL CHECK (result IN ('success', 'failed')),
  target_index  smallint,
  runner_id     text NOT NULL,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz NOT NULL,
  duration_ms   integer NOT NULL,
  message       text,
  next_attempt_at timestamptz
);
CREATE INDEX rotation_history_rotation ON rotation_history (rotation_id, id);

-- The claim query: due, enabled, not leased. Partial index keeps a tick cheap with many rotations.
DROP INDEX rotations_due;
CREATE INDEX rotations_due ON rotations (next_rotation_at) WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL;
