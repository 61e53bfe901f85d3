-- Retirement hold (issue 25): before the password of the user that is not active changes, the runner looks at who
-- still uses it (sessions on the target, registered consumers); a scheduled rotation someone is still on is held.
--   max_hold_hours: how long a scheduled rotation may be held at most (0 = never hold); after it, it proceeds
--   held_since:     when the current hold began (NULL = not held); kept across re-checks, cleared when it proceeds
--   held_by:        who was still on the retiring user at the last check, in words (app names, addresses, counts)
ALTER TABLE rotations ADD COLUMN max_hold_hours integer NOT NULL DEFAULT 24 CHECK (max_hold_hours >= 0 AND max_hold_hours <= 720);
ALTER TABLE rotations ADD COLUMN held_since timestamptz;
ALTER TABLE rotations ADD COLUMN held_by text;
