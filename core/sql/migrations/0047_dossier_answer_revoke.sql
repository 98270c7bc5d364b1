-- The stored answers' functions run as the owner, past row-level
-- security (0045, 0046): only their triggers call them, as every other
-- function here that runs as the owner is called only by what it serves.
-- Called directly, dossier_answer_stale or _empty would let the
-- application role empty another tenant's stored answers; nothing would
-- be disclosed or wrong (an empty row is computed again), but it is not
-- the role's to do.
REVOKE ALL ON FUNCTION dossier_answer_stale(bigint[], bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dossier_answer_empty(bigint[], bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dossier_answer_dossier() FROM PUBLIC;
REVOKE ALL ON FUNCTION dossier_answer_by_key() FROM PUBLIC;
REVOKE ALL ON FUNCTION dossier_answer_by_name() FROM PUBLIC;
