-- Document categories are the core's vocabulary now (core migration
-- 0023_vocabulary.sql); this module declares its own codes in its
-- descriptor. 0006_letters.sql re-created the list as a CHECK constraint
-- on a new database (it runs after the core's migrations); back to the
-- core's well-formed-code check.
ALTER TABLE document DROP CONSTRAINT IF EXISTS document_category_check;
ALTER TABLE document ADD CONSTRAINT document_category_check
    CHECK (category ~ '^[a-z][a-z0-9_]{0,39}$');
