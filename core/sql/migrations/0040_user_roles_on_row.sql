-- A user's roles on the user's row (issue 13, the authenticated read).
-- user_role stays the one truth (permissions, tokens and jobs join it);
-- app_user.roles is its copy in role order, kept by a trigger in the same
-- statement as every insert, update and delete of user_role, so no path
-- (admin API, seed, tenant set-up, a migration) can leave it behind.
-- Reading a user was an index scan plus a subplan (a scan of user_role
-- and a sort) for the roles: 40-48 µs against 20 µs without it, in
-- pgbench on the bench data set. The copy is changed incrementally on the
-- row the UPDATE locks (array_remove/append on the row's current value):
-- two transactions changing one user's roles apply their changes one
-- after the other to the latest row, never from an older snapshot.
ALTER TABLE app_user ADD COLUMN roles text[] NOT NULL DEFAULT '{}';

UPDATE app_user u SET roles = ARRAY(SELECT r.role FROM user_role r
    WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id ORDER BY r.role);

-- The roles in role order, each once.
CREATE FUNCTION kasus_roles_sorted(text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest($1) x $$;

-- Runs as the caller (kasus_app under row-level security): it only
-- changes the row of a user_role row the caller could write.
CREATE FUNCTION user_role_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE app_user SET roles = array_remove(roles, OLD.role)
		 WHERE tenant_id = OLD.tenant_id AND id = OLD.user_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE app_user
		   SET roles = kasus_roles_sorted(array_append(roles, NEW.role))
		 WHERE tenant_id = NEW.tenant_id AND id = NEW.user_id;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER user_role_copy AFTER INSERT OR UPDATE OR DELETE ON user_role
    FOR EACH ROW EXECUTE FUNCTION user_role_copy();
