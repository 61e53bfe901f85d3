-- The rotation list pages in the store (GET …/postgres-credentials?limit=…): a page in the default order (oldest
-- first) or by name is read from these indexes instead of sorting every rotation of the project; the total of a
-- project's page is counted from the first one alone. A rotation's project and creation time never change and its
-- name only on a rename, so rotations, retries and drift checks keep their HOT updates.
CREATE INDEX rotations_project_created ON rotations (project_id, created_at, id);
CREATE INDEX rotations_project_name ON rotations (project_id, name COLLATE "C", created_at, id);
