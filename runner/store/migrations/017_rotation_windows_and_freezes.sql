-- Rotation windows and project freezes (issue 25).
--   rotations.rotation_window: when the rotation may run (rotation/window.ts: weekdays, a local time range in the
--     rotation's time zone, blackout date ranges); NULL = any time. Its next_rotation_at already honours it.
--   project_freezes: a frozen project (one row while frozen): the scheduler claims none of its rotations
--     (store/leased.ts claimDue, nextDueAt) and a manual rotation needs force.
ALTER TABLE rotations ADD COLUMN rotation_window jsonb;

CREATE TABLE project_freezes (
  project_id text PRIMARY KEY,
  reason     text NOT NULL,
  frozen_at  timestamptz NOT NULL DEFAULT now(),
  frozen_by  text NOT NULL
);

-- Unfreezing releases the project's overdue rotations at once: every runner's scheduler is told the earliest next
-- time among them (the pgrotate_schedule channel of 008/009), so a runner sleeping until a later time wakes now.
CREATE FUNCTION pgrotate_notify_unfreeze() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  earliest timestamptz;
BEGIN
  SELECT min(next_rotation_at) INTO earliest FROM rotations
   WHERE project_id = OLD.project_id AND is_auto_rotation_enabled AND next_rotation_at IS NOT NULL;
  IF earliest IS NOT NULL THEN
    PERFORM pg_notify('pgrotate_schedule', ceil(extract(epoch FROM earliest) * 1000)::bigint::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER project_freezes_notify_unfreeze AFTER DELETE ON project_freezes
  FOR EACH ROW EXECUTE FUNCTION pgrotate_notify_unfreeze();
