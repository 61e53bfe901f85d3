-- Access: scoped tokens and machine identities (stored as hashes, never the secret), and the audit log.

CREATE TABLE machine_identities (
  id                   uuid PRIMARY KEY,
  name                 text NOT NULL UNIQUE,
  client_id            uuid NOT NULL UNIQUE,
  client_secret_hash   bytea NOT NULL,
  project_id           text,
  environment          text,
  secret_path          text,
  permission           text NOT NULL CHECK (permission IN ('read', 'manage')),
  access_token_ttl     integer NOT NULL,
  access_token_max_ttl integer NOT NULL,
  revoked_at           timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE access_tokens (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  identity_id uuid REFERENCES machine_identities (id) ON DELETE CASCADE,
  project_id  text,
  environment text,
  secret_path text,
  permission  text NOT NULL CHECK (permission IN ('read', 'manage')),
  expires_at  timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_tokens_identity ON access_tokens (identity_id);

CREATE TABLE audit_logs (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  actor         text NOT NULL,
  action        text NOT NULL,
  resource_type text,
  resource_id   text,
  project_id    text,
  environment   text,
  secret_path   text,
  status        integer NOT NULL,
  ip            text,
  details       jsonb
);
CREATE INDEX audit_logs_at ON audit_logs (at DESC);
