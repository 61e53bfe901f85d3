-- Re-sealing a secret with the newest encryption key (pgrotate rekey) rewrites value_sealed, but the value stays
-- the same: that is no change for the change feed, so consumers are not told to re-read a million secrets that did
-- not change. The rekey's transactions say so with SET LOCAL pgrotate.reseal = 'on'; this body is 006's with that
-- one condition added, so a runner that never sets it (any runner before 015) gets exactly what it had.
--
-- pgrotate:allow CREATE OR REPLACE compatible: the body adds a condition only the rekey sets; runners before 015 never set it and see 006's behaviour
CREATE OR REPLACE FUNCTION pgrotate_secret_events() RETURNS trigger LANGUAGE plpgsql AS $$
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
    WHERE (n.value_sealed IS DISTINCT FROM o.value_sealed AND current_setting('pgrotate.reseal', true) IS DISTINCT FROM 'on') OR n.key <> o.key
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
