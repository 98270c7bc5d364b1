-- Lookups by dossier: decisions and goals on every dossier screen, and
-- payment lines when a run looks for months a dossier was not yet paid
-- (back payments); without these the tenant's rows were scanned.
CREATE INDEX sh_decision_dossier ON sh_decision (tenant_id, dossier_id);
CREATE INDEX sh_goal_dossier ON sh_goal (tenant_id, dossier_id);
CREATE INDEX sh_payment_line_dossier ON sh_payment_line (tenant_id, dossier_id);
