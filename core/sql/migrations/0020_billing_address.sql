-- A social service's invoice address is a mutable record like the
-- others: it carries a version, and a change must name the version it
-- was made on (If-Match), so two people editing it cannot overwrite each
-- other unseen. An address not yet entered is version 0.
ALTER TABLE billing_address ADD COLUMN row_version bigint NOT NULL DEFAULT 1;
