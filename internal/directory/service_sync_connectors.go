package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// The directory sync's use cases: connector configuration (this file),
// run history with its one-run-at-a-time lease (service_sync_runs.go), the
// batches of user changes a run writes (service_sync_users.go), and its
// groups and their members (service_sync_groups.go). A batch is one
// transaction: hundreds of user changes read and written with a few
// statements, each change with its audit event, under the status rules of
// the connector's authority.

// CreateConnector stores a new connector of the organization. A preset
// in.ID is kept (the sync engine seals secrets for the id before the
// connector exists); a zero threshold means DefaultSyncThreshold, and an
// empty Reconcile DefaultReconcile.
func (s *Service) CreateConnector(ctx context.Context, actor Actor, orgID string, in *Connector) (*Connector, error) {
	c := *in
	if c.ID == "" {
		c.ID = NewID()
	}
	for _, share := range []*float64{&c.Threshold, &c.GroupThreshold, &c.MemberThreshold} {
		if *share == 0 {
			*share = DefaultSyncThreshold
		}
	}
	if c.Reconcile == "" {
		c.Reconcile = DefaultReconcile
	}
	c.ReconciledAt = nil
	if err := c.Validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	c.OrgID, c.CreatedAt, c.UpdatedAt, c.Version, c.Cursor = orgID, now, now, 1, ""
	err := s.store.InTx(ctx, func(r Repos) error {
		org, err := r.Orgs().GetOrg(ctx, orgID)
		if err != nil {
			return err
		}
		if err := checkPropertyMapping(org, c.Mapping); err != nil {
			return err
		}
		if err := r.Connectors().CreateConnector(ctx, &c); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "connector.create", "connector", c.ID, diffFields(nil, connectorAuditFields(&c)))
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// GetConnector returns a connector of the organization.
func (s *Service) GetConnector(ctx context.Context, orgID, id string) (*Connector, error) {
	return s.store.Connectors().GetConnector(ctx, orgID, id)
}

// FindConnector finds a connector by id or, failing that, by name.
func (s *Service) FindConnector(ctx context.Context, orgID, idOrName string) (*Connector, error) {
	c, err := s.store.Connectors().GetConnector(ctx, orgID, idOrName)
	if IsCode(err, CodeNotFound) {
		return s.store.Connectors().GetConnectorByName(ctx, orgID, idOrName)
	}
	return c, err
}

// ListConnectors lists the organization's connectors by name.
func (s *Service) ListConnectors(ctx context.Context, orgID string) ([]*Connector, error) {
	return s.store.Connectors().ListConnectors(ctx, orgID)
}

// ListScheduledConnectors lists the enabled connectors with a schedule, of
// every organization.
func (s *Service) ListScheduledConnectors(ctx context.Context) ([]*Connector, error) {
	return s.store.Connectors().ListScheduledConnectors(ctx)
}

// UpdateConnector applies mutate to a connector and writes the result.
// ifVersion pins the version the caller read (0: any, and lost races are
// retried). The kind, the cursor and the timestamps do not change.
func (s *Service) UpdateConnector(ctx context.Context, actor Actor, orgID, id string, ifVersion int64, mutate func(*Connector) error) (*Connector, error) {
	var out *Connector
	err := retryStale(ifVersion != 0, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := r.Connectors().GetConnector(ctx, orgID, id)
			if err != nil {
				return err
			}
			if ifVersion != 0 && cur.Version != ifVersion {
				return ErrStale
			}
			next := *cur
			if err := mutate(&next); err != nil {
				return err
			}
			next.ID, next.OrgID, next.Kind, next.Cursor = cur.ID, cur.OrgID, cur.Kind, cur.Cursor
			next.CreatedAt, next.UpdatedAt, next.Version = cur.CreatedAt, cur.UpdatedAt, cur.Version
			if err := next.Validate(); err != nil {
				return err
			}
			org, err := r.Orgs().GetOrg(ctx, orgID)
			if err != nil {
				return err
			}
			if err := checkPropertyMapping(org, next.Mapping); err != nil {
				return err
			}
			changes := diffFields(connectorAuditFields(cur), connectorAuditFields(&next))
			if len(changes) == 0 {
				out = cur
				return nil
			}
			if err := r.Connectors().UpdateConnector(ctx, &next, s.Now()); err != nil {
				return err
			}
			out = &next
			return s.audit(ctx, r, actor, orgID, "connector.update", "connector", id, changes)
		})
	})
	return out, err
}

// DeleteConnector removes a connector, its runs and its links. The users
// and groups it made stay, with their source; a connector made again
// takes them back. A connector that is running cannot be deleted.
func (s *Service) DeleteConnector(ctx context.Context, actor Actor, orgID, id string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		c, err := r.Connectors().GetConnector(ctx, orgID, id)
		if err != nil {
			return err
		}
		holder, err := r.Connectors().LeaseHolder(ctx, orgID, id, s.Now())
		if err != nil {
			return err
		}
		if holder != "" {
			return Errorf(CodeConflict, "the connector is running (run %s); delete it when the run ends", holder)
		}
		if err := r.Connectors().DeleteConnector(ctx, orgID, id); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "connector.delete", "connector", id, diffFields(connectorAuditFields(c), nil))
	})
}

// checkPropertyMapping refuses a mapping onto custom properties the
// organization does not define.
func checkPropertyMapping(org *Org, mapping map[string]string) error {
	for field := range mapping {
		key, ok := strings.CutPrefix(field, "properties.")
		if !ok {
			continue
		}
		if _, defined := org.Property(key); !defined {
			return FieldErrorf(CodeInvalid, "mapping", "the organization has no custom property %q", key)
		}
	}
	return nil
}

// connectorAuditFields is what audit events show of a connector: never its
// secrets, only that they changed.
func connectorAuditFields(c *Connector) map[string]any {
	var settings any
	_ = json.Unmarshal(c.Settings, &settings) // stored settings are valid JSON; a failure leaves nil
	return map[string]any{
		"name":               c.Name,
		"kind":               c.Kind,
		"settings":           settings,
		"secrets":            secretsMarker(c.Secrets),
		"schedule":           c.Schedule,
		"mapping":            c.Mapping,
		"roleRules":          c.RoleRules,
		"defaultRole":        c.DefaultRole,
		"deprovision":        c.Deprovision,
		"threshold":          c.Threshold,
		"groupThreshold":     c.GroupThreshold,
		"memberThreshold":    c.MemberThreshold,
		"thresholdMin":       c.ThresholdMin,
		"groupThresholdMin":  c.GroupThresholdMin,
		"memberThresholdMin": c.MemberThresholdMin,
		"reconcile":          c.Reconcile,
		"enabled":            c.Enabled,
	}
}

// secretsMarker stands for sealed secrets in audit events: a short digest
// of the ciphertext (which changes with every seal), so that a change
// shows without any of the secret.
func secretsMarker(sealed []byte) string {
	if len(sealed) == 0 {
		return ""
	}
	return fmt.Sprintf("sealed (%d bytes, %x)", len(sealed), sealed[len(sealed)-4:])
}
