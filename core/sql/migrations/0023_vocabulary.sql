-- Vocabularies of the casework layer (issue 12): the codes that deadlines
-- (kind), journal entries (category) and documents (category) carry.
-- The core has its generic codes; each module declares its own in its
-- descriptor (struct ks_vocab), and `kasusd migrate` records both here
-- (core/casework/vocabulary.c). This replaces the CHECK constraints that
-- listed one module's codes in the core's tables. A code is never
-- removed: records keep theirs.
--
-- Platform-wide reference data like permission: no tenant column and no
-- row-level security; the application role may only read it.
CREATE TABLE vocabulary (
	domain		text NOT NULL CHECK (domain IN ('deadline_kind',
			'journal_category', 'document_category')),
	code		text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
	module		text,		-- NULL: the core's own
	PRIMARY KEY (domain, code)
);
GRANT SELECT ON vocabulary TO kasus_app;

-- Each new or changed code must be in its vocabulary (TG_ARGV: the
-- domain, the column). check_violation like the constraint before it.
CREATE FUNCTION vocabulary_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v text := to_jsonb(NEW) ->> TG_ARGV[1];
BEGIN
	IF NOT EXISTS (SELECT 1 FROM vocabulary
	    WHERE domain = TG_ARGV[0] AND code = v) THEN
		RAISE EXCEPTION '% is not a known %', v, TG_ARGV[0]
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = TG_ARGV[0];
	END IF;
	RETURN NEW;
END $$;

ALTER TABLE deadline DROP CONSTRAINT IF EXISTS deadline_kind_check;
ALTER TABLE journal_entry
    DROP CONSTRAINT IF EXISTS journal_entry_category_check;
-- A well-formed code only; the name stays, because Sozialhilfe's
-- 0006_letters.sql drops it by that name on a new database (after this
-- migration) and its 0009_vocabulary.sql then drops its list again.
ALTER TABLE document DROP CONSTRAINT IF EXISTS document_category_check;
ALTER TABLE document ADD CONSTRAINT document_category_check
    CHECK (category ~ '^[a-z][a-z0-9_]{0,39}$');

CREATE TRIGGER deadline_kind BEFORE INSERT OR UPDATE OF kind ON deadline
    FOR EACH ROW EXECUTE FUNCTION vocabulary_check('deadline_kind', 'kind');
CREATE TRIGGER journal_category BEFORE INSERT OR UPDATE OF category
    ON journal_entry FOR EACH ROW
    EXECUTE FUNCTION vocabulary_check('journal_category', 'category');
CREATE TRIGGER document_category BEFORE INSERT OR UPDATE OF category
    ON document FOR EACH ROW
    EXECUTE FUNCTION vocabulary_check('document_category', 'category');
