-- Lookups by employeeNumber and cost center within one organization (see
-- the PostgreSQL step of the same number).
CREATE INDEX users_org_employee_number_idx ON users (org_id, lower(employee_number));
CREATE INDEX users_org_cost_center_idx ON users (org_id, lower(cost_center));
