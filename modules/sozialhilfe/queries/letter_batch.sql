-- Letters written in a batch (the job sozialhilfe.letters, sh_letter.c).

-- The letter this job wrote for the dossier already, if any.
-- name: letter_batch_done
SELECT document_id FROM sh_letter_batch_item
 WHERE job_id = $1 AND dossier_id = $2

-- name: letter_batch_add
INSERT INTO sh_letter_batch_item (tenant_id, job_id, dossier_id, document_id)
VALUES (kasus_tenant(), $1, $2, $3)
