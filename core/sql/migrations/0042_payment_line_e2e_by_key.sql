-- A payment line's end-to-end id is made from its key ('KS' tenant 'L'
-- id, a generated column; digits on both sides of the 'L', so no two
-- keys give the same id): the primary key makes it unique already, and
-- the bank matching finds a line by the id inside it (bank_line_by_e2e).
-- Its unique index (77 MB on the bench's data, never scanned there) was
-- one of the six index inserts of every line: about 30 ms of backend CPU
-- of a 20,000-line run (issue 13).
ALTER TABLE payment_line
    DROP CONSTRAINT payment_line_tenant_id_end_to_end_id_key;
