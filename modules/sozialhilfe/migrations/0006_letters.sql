-- Letters and printing.
--
-- Letters from templates (a request for documents, a cost guarantee) are
-- documents of the dossier of their own category, rendered and stored
-- when they are written, never changed afterwards.
ALTER TABLE document DROP CONSTRAINT document_category_check;
ALTER TABLE document ADD CONSTRAINT document_category_check
    CHECK (category IN ('id', 'rent_contract', 'income_proof', 'decision',
    'scanned_mail', 'other', 'letter'));

-- A budget line's explanation in German and French ({"de", "fr"}): the
-- budget screen shows it in the reader's language, the decision in the
-- client's (explain). NULL for lines saved before.
ALTER TABLE sh_budget_line ADD COLUMN explains jsonb;
