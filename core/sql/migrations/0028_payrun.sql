-- Payment runs, faster (issue 13). The kind of every new payment line
-- was checked by a row trigger (vocabulary_check, 0024_money.sql): a
-- plpgsql call that turned the whole row into JSON and looked the kind
-- up, once per line - for a run of 20,000 lines that was the largest
-- part of computing it. A run's lines come in one statement, so the
-- kinds are now checked once per statement: the distinct kinds of the
-- inserted lines against the vocabulary, the first unknown one refused
-- with the error the row trigger gave (check_violation, constraint
-- payment_kind, "<kind> is not a known payment_kind"). A line's kind
-- never changes (payment_frozen); an UPDATE naming the column is still
-- checked by the row trigger, which now fires for nothing else.
DROP TRIGGER payment_kind ON payment_line;
CREATE TRIGGER payment_kind BEFORE UPDATE OF kind ON payment_line
    FOR EACH ROW EXECUTE FUNCTION vocabulary_check('payment_kind', 'kind');

CREATE FUNCTION payment_kinds_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v text;
BEGIN
	SELECT n.kind INTO v
	  FROM (SELECT DISTINCT kind FROM new_lines) n
	 WHERE NOT EXISTS (SELECT 1 FROM vocabulary w
	                    WHERE w.domain = 'payment_kind' AND w.code = n.kind)
	 ORDER BY n.kind
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION '% is not a known payment_kind', v
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'payment_kind';
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER payment_kinds AFTER INSERT ON payment_line
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION payment_kinds_check();

-- Whether the file of an exported run passed the SPS schema when it was
-- exported ('valid') or the deployment had no schema then
-- ('unchecked'); NULL for runs exported before. A later download that
-- gives the same bytes (its checksum is compared with file_sha256) is
-- the file that was checked and is not validated again: validating a
-- file of 20,000 payments takes seconds.
ALTER TABLE payment_run ADD COLUMN file_schema text
    CHECK (file_schema IN ('valid', 'unchecked')),
    ADD CHECK (file_schema IS NULL OR file_sha256 IS NOT NULL);
