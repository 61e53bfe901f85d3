-- pgrotate_access makes every runner flush its whole token cache. Migration 004 sent it after every UPDATE or
-- DELETE statement on access_tokens and machine_identities, including the many that change nothing (each identity
-- login prunes its expired tokens, usually finding none). It is now sent only when a statement changed a row.
--
-- Statement-level triggers with a transition table: one call per statement, however many rows it touched, and
-- nothing queued per row (a row-level trigger would call the function for every row of a large prune just to send
-- one notification that PostgreSQL then deduplicates). A transition table needs one trigger per event.

CREATE FUNCTION pgrotate_notify_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM old_rows) THEN
    PERFORM pg_notify('pgrotate_access', TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER access_tokens_notify ON access_tokens;
DROP TRIGGER machine_identities_notify ON machine_identities;

CREATE TRIGGER access_tokens_notify_update AFTER UPDATE ON access_tokens
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access_changed();
CREATE TRIGGER access_tokens_notify_delete AFTER DELETE ON access_tokens
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access_changed();
CREATE TRIGGER machine_identities_notify_update AFTER UPDATE ON machine_identities
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access_changed();
CREATE TRIGGER machine_identities_notify_delete AFTER DELETE ON machine_identities
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access_changed();

-- TRUNCATE (by hand; the runner never truncates) empties the table without row events: it always notifies.
CREATE TRIGGER access_tokens_notify_truncate AFTER TRUNCATE ON access_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access();
CREATE TRIGGER machine_identities_notify_truncate AFTER TRUNCATE ON machine_identities
  FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access();
