-- The rotation-status stream (GET /api/v1/events/rotations): every runner tells its open streams when a rotation
-- row changes, whichever runner (or a hand-made UPDATE) changed it. A notification (delivered on commit, to every
-- runner) names the rotation, its folder (for the streams' scope and filters), its status and updated_at; never a
-- credential. A change a client can see always sets updated_at (store/leased.ts, store/rotations.ts), so taking a
-- lease, renewing it and drift bookkeeping send nothing. No resume: a stream that (re)attaches re-reads.

CREATE FUNCTION pgrotate_notify_rotations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r rotations;
BEGIN
  IF TG_OP = 'DELETE' THEN
    r := OLD;
  ELSE
    r := NEW;
  END IF;
  PERFORM pg_notify('pgrotate_rotations', json_build_object(
    'op', lower(TG_OP), 'id', r.id, 'projectId', r.project_id, 'environment', r.environment, 'secretPath', r.secret_path,
    'status', r.rotation_status, 'updatedAt', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text);
  RETURN NULL;
END $$;

CREATE TRIGGER rotations_change_notify_insert AFTER INSERT ON rotations
  FOR EACH ROW EXECUTE FUNCTION pgrotate_notify_rotations();
CREATE TRIGGER rotations_change_notify_update AFTER UPDATE ON rotations
  FOR EACH ROW WHEN (NEW.updated_at IS DISTINCT FROM OLD.updated_at OR NEW.rotation_status IS DISTINCT FROM OLD.rotation_status)
  EXECUTE FUNCTION pgrotate_notify_rotations();
CREATE TRIGGER rotations_change_notify_delete AFTER DELETE ON rotations
  FOR EACH ROW EXECUTE FUNCTION pgrotate_notify_rotations();
