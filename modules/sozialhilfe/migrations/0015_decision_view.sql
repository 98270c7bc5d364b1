-- A decision with its budget's validity and the names of who drafted,
-- approved and revoked it: what one decision's read and a dossier's
-- list of decisions both answer (queries/budget.sql), written once.
-- Row-level security of the tables applies to the caller.
CREATE VIEW sh_decision_v WITH (security_invoker = true) AS
SELECT x.tenant_id, x.id, x.dossier_id, x.budget_id, x.language, x.status,
       x.drafted_by, x.approved_by, x.approved_at, x.document_id,
       x.created_at, x.version,
       u1.display_name AS drafted_by_name,
       u2.display_name AS approved_by_name, x.revoked_by, x.revoked_at,
       x.revoke_reason, u3.display_name AS revoked_by_name,
       b.valid_from AS budget_valid_from, b.status AS budget_status
  FROM sh_decision x
  JOIN sh_budget b ON b.tenant_id = x.tenant_id AND b.id = x.budget_id
  LEFT JOIN app_user u1 ON u1.tenant_id = x.tenant_id AND u1.id = x.drafted_by
  LEFT JOIN app_user u2 ON u2.tenant_id = x.tenant_id AND u2.id = x.approved_by
  LEFT JOIN app_user u3 ON u3.tenant_id = x.tenant_id AND u3.id = x.revoked_by;

GRANT SELECT ON sh_decision_v TO kasus_app;
