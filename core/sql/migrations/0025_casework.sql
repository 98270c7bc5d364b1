-- The casework routes in the core (issue 12): a dossier names the kind
-- its module declared (struct ks_dossier_kind); NULL, as for the dossiers
-- made before, is the module's main kind (the first it declares).
ALTER TABLE dossier ADD COLUMN kind text
    CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$');
