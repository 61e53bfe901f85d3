-- A lease is a fencing token (issue: a runner that lost its lease must never write again). Each acquisition of a
-- rotation's lease (a claim, a manual rotation, a create, a delete) gets a new random token; every write the
-- holder makes to the rotation requires lease_token = its token AND lease_until > now(), so a runner whose
-- lease expired and was taken over changes nothing. lease_until is on the store's clock (now()), one clock for
-- every runner. A lease taken before this migration has no token: it simply runs out.
ALTER TABLE rotations ADD COLUMN lease_token uuid;
