-- The PostgreSQL server a connection reaches, as the server names itself (pg_control_system's system
-- identifier; replicas of one cluster share it, as they share its roles). Roles are cluster-wide, so two
-- rotations must never own the same user of one server, however its connections spell the host.
-- NULL for connections stored before this migration: filled at the next start (or the next validation).
ALTER TABLE connections ADD COLUMN server_id text;
CREATE INDEX connections_server ON connections (server_id);
