-- Seats counted on write, so that neither the daily usage snapshot nor a
-- seat limit reads every holder of a service. A user holds a service
-- through each of its entitlements of the service's key and each group
-- mapped to the service it belongs to; it takes a seat while it holds the
-- service and is not deleted.
--
-- service_holdings keeps, per service and user holding it, the number of
-- such sources and whether the user takes a seat (held: not deleted).
-- Triggers on user_grants, group_members, service_groups, services and
-- users keep it in the transaction of the write; a row goes when its last
-- source does. Its rows are per user, so writers of different users never
-- wait on each other.
--
-- A seat taken or given back (a row that takes a seat inserted or deleted,
-- or its user deleted or restored) appends +1 / -1 to service_seat_deltas.
-- Like usage_deltas, the log is insert-only, so that writers into one
-- service never wait on a shared counter row; the usage job folds it into
-- service_seats and copies the seats into the day's snapshot. A seat
-- count reads service_seats plus the service's deltas not yet folded. The
-- usage recount (usage_recount) rebuilds service_holdings from the
-- grants and memberships and service_seats from service_holdings.
CREATE TABLE service_holdings (
    service_id text    NOT NULL,
    user_id    text    NOT NULL,
    sources    integer NOT NULL,
    held       boolean NOT NULL,
    PRIMARY KEY (service_id, user_id)
);

CREATE INDEX service_holdings_user_idx ON service_holdings (user_id);

CREATE TABLE service_seat_deltas (
    service_id text    NOT NULL,
    delta      integer NOT NULL
);

CREATE INDEX service_seat_deltas_service_idx ON service_seat_deltas (service_id);

CREATE TABLE service_seats (
    service_id text    NOT NULL PRIMARY KEY,
    seats      integer NOT NULL
);

-- An entitlement gives its user the service of its value in the user's
-- organization, if there is one; most entitlements name none, and cost
-- one index lookup.
CREATE FUNCTION service_holdings_grant_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_holdings (service_id, user_id, sources, held)
    SELECT s.id, u.id, 1, u.status <> 'deleted' FROM users u JOIN services s ON s.org_id = u.org_id AND s.key = NEW.value_lower
    WHERE u.id = NEW.user_id
    ON CONFLICT (service_id, user_id) DO UPDATE SET sources = service_holdings.sources + 1;
    RETURN NULL;
END $$;

CREATE FUNCTION service_holdings_grant_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service_holdings h SET sources = h.sources - 1 FROM services s
    WHERE h.user_id = OLD.user_id AND s.id = h.service_id AND s.key = OLD.value_lower;
    DELETE FROM service_holdings WHERE user_id = OLD.user_id AND sources <= 0;
    RETURN NULL;
END $$;

CREATE FUNCTION service_holdings_grant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.kind = 'entitlement' THEN
        UPDATE service_holdings h SET sources = h.sources - 1 FROM services s
        WHERE h.user_id = OLD.user_id AND s.id = h.service_id AND s.key = OLD.value_lower;
        DELETE FROM service_holdings WHERE user_id = OLD.user_id AND sources <= 0;
    END IF;
    IF NEW.kind = 'entitlement' THEN
        INSERT INTO service_holdings (service_id, user_id, sources, held)
        SELECT s.id, u.id, 1, u.status <> 'deleted' FROM users u JOIN services s ON s.org_id = u.org_id AND s.key = NEW.value_lower
        WHERE u.id = NEW.user_id
        ON CONFLICT (service_id, user_id) DO UPDATE SET sources = service_holdings.sources + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER user_grants_seats_insert AFTER INSERT ON user_grants FOR EACH ROW
    WHEN (NEW.kind = 'entitlement') EXECUTE FUNCTION service_holdings_grant_added();
CREATE TRIGGER user_grants_seats_delete AFTER DELETE ON user_grants FOR EACH ROW
    WHEN (OLD.kind = 'entitlement') EXECUTE FUNCTION service_holdings_grant_removed();
CREATE TRIGGER user_grants_seats_update AFTER UPDATE OF user_id, kind, value_lower ON user_grants FOR EACH ROW
    WHEN ((OLD.kind = 'entitlement' OR NEW.kind = 'entitlement') AND (OLD.user_id IS DISTINCT FROM NEW.user_id
        OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.value_lower IS DISTINCT FROM NEW.value_lower))
    EXECUTE FUNCTION service_holdings_grant_changed();

-- A member of a group holds the services mapped to the group; most groups
-- have none, and cost one index lookup. Like the seat count before it,
-- only members of the service's organization count.
CREATE FUNCTION service_holdings_member_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_holdings (service_id, user_id, sources, held)
    SELECT sg.service_id, u.id, 1, u.status <> 'deleted' FROM service_groups sg JOIN users u ON u.id = NEW.user_id AND u.org_id = sg.org_id
    WHERE sg.group_id = NEW.group_id
    ON CONFLICT (service_id, user_id) DO UPDATE SET sources = service_holdings.sources + 1;
    RETURN NULL;
END $$;

CREATE FUNCTION service_holdings_member_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service_holdings h SET sources = h.sources - 1 FROM service_groups sg JOIN users u ON u.id = OLD.user_id AND u.org_id = sg.org_id
    WHERE sg.group_id = OLD.group_id AND h.service_id = sg.service_id AND h.user_id = OLD.user_id;
    DELETE FROM service_holdings WHERE user_id = OLD.user_id AND sources <= 0;
    RETURN NULL;
END $$;

CREATE TRIGGER group_members_seats_insert AFTER INSERT ON group_members FOR EACH ROW
    EXECUTE FUNCTION service_holdings_member_added();
CREATE TRIGGER group_members_seats_delete AFTER DELETE ON group_members FOR EACH ROW
    EXECUTE FUNCTION service_holdings_member_removed();

-- Mapping a group to a service gives it to the group's members;
-- unmapping takes it back from those who hold it through nothing else.
CREATE FUNCTION service_holdings_mapping_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_holdings (service_id, user_id, sources, held)
    SELECT NEW.service_id, u.id, 1, u.status <> 'deleted' FROM group_members gm JOIN users u ON u.id = gm.user_id AND u.org_id = NEW.org_id
    WHERE gm.group_id = NEW.group_id
    ON CONFLICT (service_id, user_id) DO UPDATE SET sources = service_holdings.sources + 1;
    RETURN NULL;
END $$;

CREATE FUNCTION service_holdings_mapping_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service_holdings h SET sources = h.sources - 1 FROM group_members gm JOIN users u ON u.id = gm.user_id AND u.org_id = OLD.org_id
    WHERE gm.group_id = OLD.group_id AND h.service_id = OLD.service_id AND h.user_id = gm.user_id;
    DELETE FROM service_holdings WHERE service_id = OLD.service_id AND sources <= 0;
    RETURN NULL;
END $$;

CREATE TRIGGER service_groups_seats_insert AFTER INSERT ON service_groups FOR EACH ROW
    EXECUTE FUNCTION service_holdings_mapping_added();
CREATE TRIGGER service_groups_seats_delete AFTER DELETE ON service_groups FOR EACH ROW
    EXECUTE FUNCTION service_holdings_mapping_removed();

-- A new service is held by the users of its organization already
-- entitled to its key; a deleted one by nobody, and its seats go.
-- (A service's key never changes.)
CREATE FUNCTION service_holdings_service_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_holdings (service_id, user_id, sources, held)
    SELECT NEW.id, u.id, count(*), u.status <> 'deleted' FROM user_grants g JOIN users u ON u.id = g.user_id
    WHERE g.kind = 'entitlement' AND g.value_lower = NEW.key AND u.org_id = NEW.org_id
    GROUP BY u.id, u.status
    ON CONFLICT (service_id, user_id) DO UPDATE SET sources = service_holdings.sources + excluded.sources;
    RETURN NULL;
END $$;

CREATE FUNCTION service_holdings_service_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM service_holdings WHERE service_id = OLD.id;
    DELETE FROM service_seat_deltas WHERE service_id = OLD.id;
    DELETE FROM service_seats WHERE service_id = OLD.id;
    RETURN NULL;
END $$;

CREATE TRIGGER services_seats_insert AFTER INSERT ON services FOR EACH ROW
    EXECUTE FUNCTION service_holdings_service_added();
CREATE TRIGGER services_seats_delete AFTER DELETE ON services FOR EACH ROW
    EXECUTE FUNCTION service_holdings_service_removed();

-- A user deleted gives its seats back, restored takes them again; a user
-- removed for good (its organization deleted) holds nothing.
CREATE FUNCTION service_holdings_user_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service_holdings SET held = NEW.status <> 'deleted' WHERE user_id = NEW.id;
    RETURN NULL;
END $$;

CREATE FUNCTION service_holdings_user_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM service_holdings WHERE user_id = OLD.id;
    RETURN NULL;
END $$;

CREATE TRIGGER users_seats_status AFTER UPDATE OF status ON users FOR EACH ROW
    WHEN ((OLD.status = 'deleted') IS DISTINCT FROM (NEW.status = 'deleted'))
    EXECUTE FUNCTION service_holdings_user_status();
CREATE TRIGGER users_seats_delete AFTER DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION service_holdings_user_removed();

-- The holdings and seats of the services that exist, from the grants and
-- memberships; the triggers that log seats come after, so that the
-- upgrade does not log a delta per holding.
INSERT INTO service_holdings (service_id, user_id, sources, held)
SELECT h.sid, u.id, count(*), u.status <> 'deleted' FROM (
    SELECT s.id AS sid, g.user_id AS uid, s.org_id FROM services s
    JOIN user_grants g ON g.kind = 'entitlement' AND g.value_lower = s.key
    UNION ALL
    SELECT sg.service_id, gm.user_id, sg.org_id FROM service_groups sg JOIN group_members gm ON gm.group_id = sg.group_id
) h JOIN users u ON u.id = h.uid AND u.org_id = h.org_id
GROUP BY h.sid, u.id, u.status;

INSERT INTO service_seats (service_id, seats)
SELECT service_id, count(*) FROM service_holdings WHERE held GROUP BY service_id;

-- The seats a holding takes or gives back.
CREATE FUNCTION service_seats_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO service_seat_deltas (service_id, delta) VALUES (NEW.service_id, 1);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO service_seat_deltas (service_id, delta) VALUES (OLD.service_id, -1);
    ELSIF NEW.held THEN
        INSERT INTO service_seat_deltas (service_id, delta) VALUES (NEW.service_id, 1);
    ELSE
        INSERT INTO service_seat_deltas (service_id, delta) VALUES (NEW.service_id, -1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER service_holdings_seats_insert AFTER INSERT ON service_holdings FOR EACH ROW
    WHEN (NEW.held) EXECUTE FUNCTION service_seats_changed();
CREATE TRIGGER service_holdings_seats_delete AFTER DELETE ON service_holdings FOR EACH ROW
    WHEN (OLD.held) EXECUTE FUNCTION service_seats_changed();
CREATE TRIGGER service_holdings_seats_update AFTER UPDATE OF held ON service_holdings FOR EACH ROW
    WHEN (OLD.held IS DISTINCT FROM NEW.held) EXECUTE FUNCTION service_seats_changed();
