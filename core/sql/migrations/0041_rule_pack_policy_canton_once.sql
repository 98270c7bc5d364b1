-- rule_pack's read policy asked kasus_canton_tenant() (PL/pgSQL, about
-- 8.5 us a call) once for every approved version the resolution's index
-- scan met: rule_resolve took 28.5 / 36.0 / 44.8 us with 1 / 2 / 3
-- approved versions of a pack, so every yearly version made every rule
-- resolution of every route and job dearer (issue 13, eval11). As a
-- scalar subquery the policy asks it once per statement (an InitPlan).
-- The same rows are visible: the function is STABLE, its value cannot
-- change within a statement.
DROP POLICY tenant_read ON rule_pack;
CREATE POLICY tenant_read ON rule_pack FOR SELECT
    USING (tenant_id = kasus_tenant() OR tenant_id = (SELECT kasus_canton_tenant()));
