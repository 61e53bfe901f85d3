-- A create (and a connection change) asks which rotation already owns its two database users. Without an index
-- on the user names that question read every rotation of the connection: 122 ms at 100,000 rotations, growing
-- with them, while the server's user-claim lock is held. The names never change, so these indexes cost an
-- update nothing (a rotation's row stays eligible for HOT updates).
CREATE INDEX rotations_username1 ON rotations (username1);
CREATE INDEX rotations_username2 ON rotations (username2);
