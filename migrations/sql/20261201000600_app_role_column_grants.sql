-- The app role writes what sign-up, profile and password changes need, and no
-- more. Making an account a platform admin and moving a vendor between statuses
-- are platform work, done through souk_platform_job; so neither injected SQL nor
-- a bug in a tenant's request can grant the platform's authority or suspend or
-- reactivate another vendor.
REVOKE INSERT, UPDATE ON identity.users FROM souk_app;
GRANT INSERT (id, email, password_hash, first_name, last_name, phone) ON identity.users TO souk_app;
GRANT UPDATE (first_name, last_name, phone, password_hash, updated_at) ON identity.users TO souk_app;

GRANT USAGE ON SCHEMA identity TO souk_platform_job;
GRANT SELECT, UPDATE (platform_admin, updated_at) ON identity.users TO souk_platform_job;

REVOKE UPDATE ON tenancy.tenants FROM souk_app;
