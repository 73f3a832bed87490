package directory

import (
	"context"
	"strings"
)

// maxProperties bounds an organization's custom user properties.
const maxProperties = 100

// DefineProperty adds a custom user property definition to an
// organization; its key must be new (regardless of case). The API and the
// console both define properties through it.
func (s *Service) DefineProperty(ctx context.Context, actor Actor, orgID string, def PropertyDef) (*Org, error) {
	def.Label = strings.TrimSpace(def.Label)
	if len(def.Label) > 200 {
		return nil, FieldErrorf(CodeInvalid, "label", "label is limited to 200 characters")
	}
	return s.UpdateOrg(ctx, actor, orgID, 0, func(o *Org) error {
		if len(o.UserProperties) >= maxProperties {
			return Errorf(CodeInvalid, "an organization has at most %d custom properties", maxProperties)
		}
		for _, d := range o.UserProperties {
			if strings.EqualFold(d.Key, def.Key) {
				return FieldErrorf(CodeConflict, "key", "property %q exists already", def.Key)
			}
		}
		o.UserProperties = append(o.UserProperties, def)
		return nil
	})
}

// RemoveProperty removes a custom user property definition. Users' values
// for it are no longer shown and are dropped at their next edit.
func (s *Service) RemoveProperty(ctx context.Context, actor Actor, orgID, key string) (*Org, error) {
	return s.UpdateOrg(ctx, actor, orgID, 0, func(o *Org) error {
		for i, d := range o.UserProperties {
			if d.Key == key {
				o.UserProperties = append(o.UserProperties[:i], o.UserProperties[i+1:]...)
				return nil
			}
		}
		return Errorf(CodeNotFound, "no custom property %q", key)
	})
}
