-- pgrotate store, version 1. Every secret column is AES-256-GCM sealed by the runner (bytea); nothing here is plaintext.

CREATE TABLE meta (
  key   text PRIMARY KEY,
  value bytea NOT NULL
);

CREATE TABLE connections (
  id                      uuid PRIMARY KEY,
  name                    text NOT NULL UNIQUE,
  description             text,
  method                  text NOT NULL,
  host                    text NOT NULL,
  port                    integer NOT NULL,
  database                text NOT NULL,
  username                text NOT NULL,
  password_sealed         bytea NOT NULL,
  ssl_enabled             boolean NOT NULL DEFAULT false,
  ssl_reject_unauthorized boolean NOT NULL DEFAULT true,
  ssl_certificate         text,
  version                 integer NOT NULL DEFAULT 1,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rotations (
  id                         uuid PRIMARY KEY,
  name                       text NOT NULL,
  description                text,
  project_id                 text NOT NULL,
  environment                text NOT NULL,
  secret_path                text NOT NULL,
  connection_id              uuid NOT NULL REFERENCES connections (id),
  is_auto_rotation_enabled   boolean NOT NULL,
  rotation_interval          integer NOT NULL CHECK (rotation_interval >= 1),
  rotate_at_hours            smallint NOT NULL,
  rotate_at_minutes          smallint NOT NULL,
  time_zone                  text NOT NULL,
  uses_utc                   boolean NOT NULL,
  username1                  text NOT NULL,
  username2                  text NOT NULL,
  password_requirements      jsonb,
  secret_key_username        text NOT NULL,
  secret_key_password        text NOT NULL,
  -- 'pending' while create is in flight, then 'success' or 'failed'
  rotation_status            text NOT NULL,
  active_index               smallint NOT NULL DEFAULT 0 CHECK (active_index IN (0, 1)),
  -- when the user that is now inactive stopped being active; NULL = it was never active (grace guard)
  inactive_since             timestamptz,
  last_rotation_attempted_at timestamptz,
  last_rotated_at            timestamptz,
  last_rotation_job_id       uuid,
  last_rotation_message      text,
  is_last_rotation_manual    boolean NOT NULL DEFAULT true,
  next_rotation_at           timestamptz,
  -- a running rotation holds the lease; an expired lease is free to take (crash recovery)
  lease_owner                text,
  lease_until                timestamptz,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, environment, secret_path, name)
);
CREATE INDEX rotations_connection ON rotations (connection_id);
CREATE INDEX rotations_due ON rotations (next_rotation_at) WHERE is_auto_rotation_enabled;

-- The stored password of each of the two users.
CREATE TABLE credentials (
  rotation_id     uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
  idx             smallint NOT NULL CHECK (idx IN (0, 1)),
  username        text NOT NULL,
  password_sealed bytea NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rotation_id, idx)
);

-- A password about to be set on a user, written and committed before the ALTER ROLE: a crash anywhere
-- after it is rolled forward with this same password.
CREATE TABLE rotation_intents (
  rotation_id     uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
  target_index    smallint NOT NULL CHECK (target_index IN (0, 1)),
  kind            text NOT NULL CHECK (kind IN ('create', 'rotate')),
  password_sealed bytea NOT NULL,
  job_id          uuid NOT NULL,
  trigger         text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rotation_id, target_index)
);

-- The mapped secrets apps read (Infisical's raw secrets).
CREATE TABLE secrets (
  id           uuid PRIMARY KEY,
  project_id   text NOT NULL,
  environment  text NOT NULL,
  secret_path  text NOT NULL,
  key          text NOT NULL,
  value_sealed bytea NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  rotation_id  uuid REFERENCES rotations (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, environment, secret_path, key)
);
CREATE INDEX secrets_rotation ON secrets (rotation_id);
