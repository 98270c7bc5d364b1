-- The two roles kasusd uses, created when missing (idempotent): the owner
-- runs migrations and bypasses row-level security; the application role
-- owns nothing and cannot bypass it. Run as a superuser.
DO $$ BEGIN
IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kasus_owner') THEN
	CREATE ROLE kasus_owner LOGIN BYPASSRLS;
END IF;
IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kasus_app') THEN
	CREATE ROLE kasus_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
END IF;
END $$;
