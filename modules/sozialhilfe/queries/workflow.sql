-- The team lead's approvals (sh_worklist.c). Every
-- statement runs under the request's tenant (row-level security).

-- name: pending_budgets
SELECT b.id, b.dossier_id, d.number, p.last_name, p.first_name,
       b.created_by, u.display_name, b.created_at, b.valid_from, b.payment,
       b.version
  FROM sh_budget b
  JOIN dossier d ON d.tenant_id = b.tenant_id AND d.id = b.dossier_id
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN app_user u ON u.tenant_id = b.tenant_id AND u.id = b.created_by
 WHERE b.status = 'draft' AND d.state <> 'closed'
 ORDER BY b.created_at, b.id LIMIT 200

-- name: pending_decisions
SELECT x.id, x.dossier_id, d.number, p.last_name, p.first_name,
       x.drafted_by AS created_by, u.display_name, x.created_at, b.valid_from, b.payment,
       x.version, d.state
  FROM sh_decision x
  JOIN sh_budget b ON b.tenant_id = x.tenant_id AND b.id = x.budget_id
  JOIN dossier d ON d.tenant_id = x.tenant_id AND d.id = x.dossier_id
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN app_user u ON u.tenant_id = x.tenant_id AND u.id = x.drafted_by
 WHERE x.status = 'draft' AND d.state <> 'closed'
 ORDER BY x.created_at, x.id LIMIT 200

-- name: pending_one_offs
SELECT o.id, o.dossier_id, d.number, p.last_name, p.first_name,
       o.created_by, u.display_name, o.created_at, o.text, o.amount,
       o.version
  FROM sh_one_off o
  JOIN dossier d ON d.tenant_id = o.tenant_id AND d.id = o.dossier_id
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  LEFT JOIN app_user u ON u.tenant_id = o.tenant_id AND u.id = o.created_by
 WHERE o.status = 'proposed' AND d.state <> 'closed'
 ORDER BY o.created_at, o.id LIMIT 200

-- name: pending_runs
SELECT r.id, r.month, r.created_by, u.display_name, r.created_at,
       (SELECT count(*) FROM payment_line l
         WHERE l.tenant_id = r.tenant_id AND l.run_id = r.id) AS lines,
       (SELECT coalesce(sum(l.amount), 0) FROM payment_line l
         WHERE l.tenant_id = r.tenant_id AND l.run_id = r.id
           AND l.status <> 'held') AS total,
       r.version
  FROM payment_run r
  LEFT JOIN app_user u ON u.tenant_id = r.tenant_id AND u.id = r.created_by
 WHERE r.status = 'draft'
 ORDER BY r.month, r.id LIMIT 200
