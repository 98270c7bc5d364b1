-- Teams within a social service: a case worker edits the dossiers of the
-- own team (a user or dossier without a team is not restricted).
ALTER TABLE app_user ADD COLUMN team text
    CHECK (team IS NULL OR length(team) BETWEEN 1 AND 60);
