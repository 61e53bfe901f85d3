-- Consumers: the applications (pgrotate/pg pools) that report which database users they are using, so a rotation
-- can see who still uses the user it is about to retire. One row per pool instance and folder it reads; a row is
-- refreshed by each heartbeat and forgotten once expires_at has passed (the receiving runner's
-- PGROTATE_CONSUMER_TIMEOUT_SECONDS after last_seen_at). Every time is the store's clock: runners' clocks may differ.
--   usernames: the users the pool logs in as and still holds connections of (both during a switch)
--   reported_by: the principal of the last heartbeat ("token:<id>", "identity:<id>", "admin"), for audit
-- Not in backups (like console sessions): a restored store learns its consumers again within one heartbeat.
CREATE TABLE consumers (
  instance_id text NOT NULL CHECK (char_length(instance_id) BETWEEN 1 AND 128),
  project_id text NOT NULL,
  environment text NOT NULL,
  secret_path text NOT NULL,
  app_name text NOT NULL CHECK (char_length(app_name) BETWEEN 1 AND 128),
  usernames text[] NOT NULL CHECK (cardinality(usernames) BETWEEN 1 AND 4),
  reported_by text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (instance_id, project_id, environment, secret_path)
);
-- Who uses a folder (the rotation's retirement check, GET /api/v1/consumers, the cap per folder).
CREATE INDEX consumers_folder ON consumers (project_id, environment, secret_path, expires_at);
-- Pruning rows far past their timeout.
CREATE INDEX consumers_last_seen ON consumers (last_seen_at);
