-- Drift check and repair: when the store holds a password a user no longer has (a store restored from an older
-- backup, an ALTER ROLE by hand), each runner finds it by logging in and repairs it as the rotation says.
--   drift_repair: 'reapply' (set the stored password on the user again), 'rotate' (a fresh rotation), 'off' (report only)
--   drift_checked_at: when both stored passwords last logged in (or the last check); NULL = check at the next pass
--     (a restore sets it, so every runner checks a restored store at once). Existing rotations were just rotated or
--     checked as far as anyone knows: now.
ALTER TABLE rotations ADD COLUMN drift_repair text NOT NULL DEFAULT 'reapply' CHECK (drift_repair IN ('reapply', 'rotate', 'off'));
ALTER TABLE rotations ADD COLUMN drift_checked_at timestamptz DEFAULT now();
CREATE INDEX rotations_drift_checked ON rotations (drift_checked_at NULLS FIRST);
