-- SCIM clients look users up by their enterprise employeeNumber (an HR
-- system's key; "employeeNumber eq" within one organization) and list a
-- cost center's users. Both compare regardless of case, as lower(column)
-- = lower(value) (see sqlbuild), so the indexes are on that expression.
CREATE INDEX users_org_employee_number_idx ON users (org_id, lower(employee_number));
CREATE INDEX users_org_cost_center_idx ON users (org_id, lower(cost_center));
