-- Only a next time that appears or moves earlier must wake the other runners (008): a runner whose timer is set
-- for an earlier time than a rotation now has wakes then, finds nothing to claim and re-arms from the store.
-- Every rotation's commit, success or failure (retry backoff, grace wait), moves its time later, so it no longer
-- sends a notification to every runner (nor calls the trigger's function: the WHEN clauses decide in C).
-- What does: a create, auto-rotation switched on, a PATCH to an earlier time.

DROP TRIGGER rotations_schedule_notify ON rotations;

CREATE TRIGGER rotations_schedule_notify_insert AFTER INSERT ON rotations
  FOR EACH ROW WHEN (NEW.is_auto_rotation_enabled AND NEW.next_rotation_at IS NOT NULL)
  EXECUTE FUNCTION pgrotate_notify_schedule();

CREATE TRIGGER rotations_schedule_notify_update AFTER UPDATE OF next_rotation_at, is_auto_rotation_enabled ON rotations
  FOR EACH ROW WHEN (NEW.is_auto_rotation_enabled AND NEW.next_rotation_at IS NOT NULL
                     AND (OLD.next_rotation_at IS NULL OR NOT OLD.is_auto_rotation_enabled OR NEW.next_rotation_at < OLD.next_rotation_at))
  EXECUTE FUNCTION pgrotate_notify_schedule();
