-- The title's area (ah_title.c): what 0001 left open.
--
-- A creditor's amounts (the age steps) are replaced as a whole under
-- If-Match: the creditor carries the version they are checked against.
ALTER TABLE ah_creditor ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- The schedule shows the month whose index points it used (the month
-- before the one the amount moves in), next to base, points and rounding.
ALTER TABLE ah_due ADD COLUMN index_ref date
    CHECK (extract(day FROM index_ref) = 1);
ALTER TABLE ah_due ADD CONSTRAINT ah_due_index_inputs CHECK (
    (base_index IS NULL) = (index_points IS NULL) AND
    (base_index IS NULL) = (rounding IS NULL) AND
    (base_index IS NULL) = (index_ref IS NULL));

COMMENT ON COLUMN ah_due.title_amount IS 'the maintenance the title fixes '
    'for the month (the age step), before indexation, without family '
    'allowance';
COMMENT ON COLUMN ah_due.amount IS 'what the debtor owes for the month: '
    'the indexed maintenance plus family_allowance (the view ah_month_v '
    'calls it due); the maintenance alone is amount - family_allowance';
COMMENT ON COLUMN ah_due.family_allowance IS 'the family allowance the '
    'title makes the debtor pass on (0 when the title does not cover '
    'family allowances); collected, never advanced, never indexed';
COMMENT ON COLUMN ah_due.index_points IS 'index points (tenths) of '
    'index_ref as the pack alimente-index gives them; NULL: not indexed '
    '(no clause, or before the first move after the base month)';
