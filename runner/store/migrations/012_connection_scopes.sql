-- Which scopes may use a connection (pgrotate's answer to Infisical's "App Connections -> Connect" permission):
-- a list of { projectId, environment, secretPath } (null environment or path = any). Empty = only unscoped
-- tokens may use it, which is what every connection stored before this migration gets.
ALTER TABLE connections ADD COLUMN allowed_scopes jsonb NOT NULL DEFAULT '[]'
  CONSTRAINT connections_allowed_scopes_array CHECK (jsonb_typeof(allowed_scopes) = 'array');
