-- Web console sessions, and which IaC tool manages a connection or a rotation.

-- A signed-in browser. The cookie holds a random session id; only its SHA-256 is stored. The session stands for
-- the principal that signed in: the admin (admin_hash fingerprints the admin token, so a new admin token ends
-- these sessions) or an access token (a scoped token, or the access token of an identity's login), whose
-- revocation or expiry ends the session at once.
CREATE TABLE console_sessions (
  id_hash        bytea PRIMARY KEY,
  principal_kind text NOT NULL CHECK (principal_kind IN ('admin', 'token', 'identity')),
  token_id       uuid REFERENCES access_tokens (id) ON DELETE CASCADE,
  admin_hash     bytea,
  created_at     timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  CHECK ((principal_kind = 'admin') = (token_id IS NULL)),
  CHECK ((principal_kind = 'admin') = (admin_hash IS NOT NULL))
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_token ON console_sessions (token_id);

-- Set from the X-Pgrotate-Managed-By header the Pulumi and Terraform providers send on create and update.
ALTER TABLE connections ADD COLUMN managed_by text CHECK (managed_by IN ('pulumi', 'terraform'));
ALTER TABLE rotations ADD COLUMN managed_by text CHECK (managed_by IN ('pulumi', 'terraform'));
