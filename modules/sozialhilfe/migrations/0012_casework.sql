-- The intake checklist moves to the core's casework tables (core
-- migration 0025): the items are the Sozialhilfe dossier kind's checklist
-- (struct ks_dossier_kind, sh_dossier.c), the routes are the core's. Rows
-- are copied with their versions, then the module's tables go. On a
-- fresh database there is nothing to copy.
INSERT INTO checklist (tenant_id, dossier_id, version, updated_by,
       updated_at)
SELECT tenant_id, dossier_id, version, updated_by, updated_at
  FROM sh_checklist
ON CONFLICT DO NOTHING;
-- Items saved before checklists had a version have no sh_checklist row.
INSERT INTO checklist (tenant_id, dossier_id)
SELECT DISTINCT tenant_id, dossier_id FROM sh_checklist_item
ON CONFLICT DO NOTHING;
INSERT INTO checklist_item (tenant_id, dossier_id, code, received_on, note)
SELECT tenant_id, dossier_id, code, received_on, note FROM sh_checklist_item
ON CONFLICT DO NOTHING;
DROP TABLE sh_checklist_item;
DROP TABLE sh_checklist;
