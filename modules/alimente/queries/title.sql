-- Statements of ah_title.c (the application, title, creditors, schedule).

-- name: ah_title_get
SELECT t.id, t.dossier_id, t.title_kind, t.authority, t.decided_on,
    t.enforceable_on, t.applied_on, t.arrears_from, t.ends_on,
    t.index_base_points, t.index_base_month, t.index_month,
    t.index_rounding, t.family_allowances, t.debtor_id,
    t.debtor_employer, t.debtor_pension, t.debtor_reference, t.version
FROM ah_title t WHERE t.dossier_id = $1
