-- A seal's digest of read records is taken over the reads of its range
-- in seal order, paged 5,000 at a time. The page query ordered by its
-- output column xid, which is the transaction id as TEXT: within a range
-- whose ids have different numbers of digits (99,998 .. 100,002) text
-- order is not numeric order, so with more than 5,000 reads paging by
-- the numeric cursor could skip or repeat reads, and each page sorted the
-- rest of the range instead of reading the (tenant_id, xid, id) index.
-- Seals made from now on take the reads in numeric order (read_order 2);
-- the seals made before keep the order they were made with (1), so that
-- verify recomputes each digest the way it was taken. read_order is not
-- under the seal's MAC: changing it only makes that seal's digest differ,
-- which verify reports as reads_changed.
ALTER TABLE audit_seal ADD COLUMN read_order smallint NOT NULL DEFAULT 1
    CHECK (read_order IN (1, 2));
ALTER TABLE audit_seal ALTER COLUMN read_order SET DEFAULT 2;
