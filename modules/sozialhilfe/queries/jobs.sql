-- The Sozialhilfe module's background jobs (sh_jobs.c).

-- Ongoing dossiers without an open review reminder, and when their next
-- review is due: six months after the last one (the last reminder marked
-- done, or the dossier's last move to ongoing, or its opening).
-- name: review_candidates
SELECT d.id,
       (greatest(
           (SELECT max(x.done_on) FROM deadline x
             WHERE x.dossier_id = d.id AND x.kind = 'review_due'
               AND x.done_on IS NOT NULL),
           (SELECT max(t.at)::date FROM dossier_transition t
             WHERE t.dossier_id = d.id AND t.to_state = 'ongoing'),
           d.opened_on) + interval '6 months')::date AS due_on
  FROM dossier d
 WHERE d.module = 'sozialhilfe' AND d.state = 'ongoing'
   AND NOT EXISTS (SELECT 1 FROM deadline x
                    WHERE x.dossier_id = d.id AND x.kind = 'review_due'
                      AND x.done_on IS NULL)
 ORDER BY d.id

-- Whoever else sets a reminder for the dossier now waits for us, and we
-- for them: the insert below then sees theirs.
-- name: review_lock
SELECT id FROM dossier WHERE id = $1 AND state = 'ongoing' FOR UPDATE

-- name: review_reminder_add
INSERT INTO deadline (tenant_id, dossier_id, due_on, kind, text)
SELECT kasus_tenant(), $1, $2::date, 'review_due', $3
 WHERE NOT EXISTS (SELECT 1 FROM deadline x
                    WHERE x.dossier_id = $1 AND x.kind = 'review_due'
                      AND x.done_on IS NULL)
   AND EXISTS (SELECT 1 FROM dossier d
                WHERE d.id = $1 AND d.state = 'ongoing')
RETURNING id
