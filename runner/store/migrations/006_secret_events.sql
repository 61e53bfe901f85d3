-- The change feed (GET /api/v1/events/secrets): one row per transaction and folder whose secrets changed,
-- with the secret names (never a value) and the rotation that changed them. Written by triggers, so every path
-- that changes secrets (rotation, create, rename, delete, a manual fix in SQL) is seen, on whichever runner.
--
-- Resuming without loss: `txid` is the writing transaction. A runner reads "every event whose transaction a
-- snapshot S did not see" (pg_visible_in_snapshot), and hands S to clients as their Last-Event-ID; resuming
-- from S (on any runner) returns exactly what committed after S, whatever order the ids were assigned in.
-- Rows are pruned by age and count; `secret_event_horizon` remembers up to where, so a resume from further
-- back is told to re-read instead of silently missing events.

CREATE TABLE secret_events (
  id          bigserial PRIMARY KEY,
  txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  project_id  text NOT NULL,
  environment text NOT NULL,
  secret_path text NOT NULL,
  rotation_id uuid,
  keys        text[] NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (txid, project_id, environment, secret_path)
);
CREATE INDEX secret_events_at ON secret_events (at);

CREATE TABLE secret_event_horizon (
  one            boolean PRIMARY KEY DEFAULT true CHECK (one),
  pruned_through timestamptz NOT NULL DEFAULT 'epoch'
);
INSERT INTO secret_event_horizon DEFAULT VALUES;

-- What one statement changed, one row per secret name it touched.
CREATE TYPE pgrotate_secret_change AS (id uuid, project_id text, environment text, secret_path text, rotation_id uuid, key text);

-- Statement-level, with transition tables: however many statements and rows a transaction takes (a rename
-- takes four), each folder gets one event row, inserted by the first statement and completed by the later ones.
-- The temporary name a rename passes through (<id>.renaming, see services/rotations.ts) is no name anyone reads,
-- so it is left out. An UPDATE that changes neither a value nor a name (e.g. rotation_id set to NULL when a
-- rotation is deleted) is no change. plpgsql, so each statement's plan is cached per session.
CREATE FUNCTION pgrotate_secret_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed pgrotate_secret_change[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg((n.id, n.project_id, n.environment, n.secret_path, n.rotation_id, n.key)::pgrotate_secret_change) INTO changed FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg((o.id, o.project_id, o.environment, o.secret_path, o.rotation_id, o.key)::pgrotate_secret_change) INTO changed FROM old_rows o;
  ELSE
    SELECT array_agg(x) INTO changed
    FROM new_rows n JOIN old_rows o ON o.id = n.id,
         LATERAL (VALUES ((n.id, n.project_id, n.environment, n.secret_path, coalesce(n.rotation_id, o.rotation_id), n.key)::pgrotate_secret_change),
                         ((o.id, o.project_id, o.environment, o.secret_path, coalesce(n.rotation_id, o.rotation_id), o.key)::pgrotate_secret_change)) v(x)
    WHERE n.value_sealed IS DISTINCT FROM o.value_sealed OR n.key <> o.key
       OR (n.project_id, n.environment, n.secret_path) IS DISTINCT FROM (o.project_id, o.environment, o.secret_path);
  END IF;
  IF changed IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO secret_events AS e (project_id, environment, secret_path, rotation_id, keys)
    SELECT c.project_id, c.environment, c.secret_path, (array_agg(c.rotation_id) FILTER (WHERE c.rotation_id IS NOT NULL))[1],
           coalesce(array_agg(DISTINCT c.key ORDER BY c.key) FILTER (WHERE c.key <> c.id::text || '.renaming'), '{}')
    FROM unnest(changed) c GROUP BY 1, 2, 3
  ON CONFLICT (txid, project_id, environment, secret_path) DO UPDATE
    SET keys = ARRAY(SELECT DISTINCT k FROM unnest(e.keys || EXCLUDED.keys) k ORDER BY k),
        rotation_id = coalesce(e.rotation_id, EXCLUDED.rotation_id);
  -- One wake-up per committing transaction: identical payloads within a transaction are delivered once.
  PERFORM pg_notify('pgrotate_secret_events', '');
  RETURN NULL;
END $$;

CREATE TRIGGER secrets_events_insert AFTER INSERT ON secrets REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_secret_events();
CREATE TRIGGER secrets_events_update AFTER UPDATE ON secrets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_secret_events();
CREATE TRIGGER secrets_events_delete AFTER DELETE ON secrets REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_secret_events();
