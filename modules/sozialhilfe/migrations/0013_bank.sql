-- The import of bank notifications (camt.054) is the casework layer's
-- (core/casework/money/bank.c; its tables are the core's since
-- 0011_money.sql): an import job of the old name still to run runs under
-- the new one, core.bank_import, and one done keeps its result.
UPDATE job SET type = 'core.bank_import', version = version + 1
 WHERE type = 'sozialhilfe.bank_import';
