-- Every runner caches secret reads and token lookups in memory; these notifications (delivered on commit)
-- tell all of them what changed.

CREATE FUNCTION pgrotate_notify_secrets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('pgrotate_secrets', json_build_array(OLD.project_id, OLD.environment, OLD.secret_path)::text);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify('pgrotate_secrets', json_build_array(NEW.project_id, NEW.environment, NEW.secret_path)::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER secrets_notify AFTER INSERT OR UPDATE OR DELETE ON secrets
  FOR EACH ROW EXECUTE FUNCTION pgrotate_notify_secrets();

CREATE FUNCTION pgrotate_notify_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('pgrotate_access', TG_TABLE_NAME);
  RETURN NULL;
END $$;

CREATE TRIGGER access_tokens_notify AFTER UPDATE OR DELETE ON access_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access();
CREATE TRIGGER machine_identities_notify AFTER UPDATE OR DELETE ON machine_identities
  FOR EACH STATEMENT EXECUTE FUNCTION pgrotate_notify_access();
