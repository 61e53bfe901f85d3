-- Every runner's scheduler sleeps until the earliest due rotation. When a rotation's next time is set or
-- moved (create, rotation, PATCH, retry planning, grace wait) on any runner, this tells all of them the new
-- time (unix milliseconds, rounded up: a timer set for it never fires before the instant), so each can wake
-- earlier if it must. The periodic tick remains the safety net.

CREATE FUNCTION pgrotate_notify_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.is_auto_rotation_enabled AND NEW.next_rotation_at IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.next_rotation_at IS DISTINCT FROM OLD.next_rotation_at
          OR NEW.is_auto_rotation_enabled IS DISTINCT FROM OLD.is_auto_rotation_enabled) THEN
    PERFORM pg_notify('pgrotate_schedule', ceil(extract(epoch FROM NEW.next_rotation_at) * 1000)::bigint::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER rotations_schedule_notify AFTER INSERT OR UPDATE OF next_rotation_at, is_auto_rotation_enabled ON rotations
  FOR EACH ROW EXECUTE FUNCTION pgrotate_notify_schedule();
