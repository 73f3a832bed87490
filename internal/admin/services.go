package admin

import (
	"net/http"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
)

// serviceView is a service with its seats: used of limit (no limit: null).
type serviceView struct {
	ID          string `json:"id"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SeatLimit   *int   `json:"seatLimit"`
	SeatsUsed   int    `json:"seatsUsed"`
	// GroupIDs are the groups whose members hold the service.
	GroupIDs  []string  `json:"groupIds" doc:"Groups whose members hold the service. Members are users; for a group a directory connector syncs with nestedGroups set, they include the users of the groups nested in it, each counted once."`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

type serviceList struct {
	Services []serviceView `json:"services"`
}

// serviceRequest creates a service (key required) or replaces its name,
// description and seat limit (the key cannot change; a null or absent
// seatLimit is no limit).
type serviceRequest struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SeatLimit   *int   `json:"seatLimit"`
	// GroupIDs, when present, are the groups whose members hold the
	// service (absent on a PUT: unchanged).
	GroupIDs *[]string `json:"groupIds" doc:"Groups whose members hold the service. Members are users; for a group a directory connector syncs with nestedGroups set, they include the users of the groups nested in it, each counted once."`
	// Version, if set, must be the service's current version (like
	// If-Match).
	Version int64 `json:"version"`
}

// assignRequest gives services (by key) to users (by id), or takes them.
type assignRequest struct {
	Services []string `json:"services"`
	UserIDs  []string `json:"userIds"`
}

type assignResult struct {
	Users []userServices `json:"users"`
}

// userServices are the services a user holds.
type userServices struct {
	UserID   string       `json:"userId"`
	Services []serviceRef `json:"services"`
}

type serviceRef struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// setServicesRequest is the complete list of a user's services.
type setServicesRequest struct {
	Services []string `json:"services"`
}

func viewService(sv directory.ServiceSeats) serviceView {
	groups := sv.GroupIDs
	if groups == nil {
		groups = []string{}
	}
	return serviceView{ID: sv.ID, Key: sv.Key, Name: sv.Name, Description: sv.Description, SeatLimit: sv.SeatLimit, SeatsUsed: sv.Used,
		GroupIDs: groups, CreatedAt: sv.CreatedAt, UpdatedAt: sv.UpdatedAt, Version: sv.Version}
}

func viewUserServices(u *directory.User, all []*directory.OrgService) userServices {
	out := userServices{UserID: u.ID, Services: []serviceRef{}}
	for _, sv := range directory.UserServices(u, all) {
		out.Services = append(out.Services, serviceRef{Key: sv.Key, Name: sv.Name})
	}
	return out
}

func (h *handler) listServices(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (serviceList, error) {
	all, err := h.dir.ListServices(r.Context(), p.orgID())
	if err != nil {
		return serviceList{}, err
	}
	out := serviceList{Services: make([]serviceView, len(all))}
	for i, sv := range all {
		out.Services[i] = viewService(sv)
	}
	return out, nil
}

func (h *handler) createService(w http.ResponseWriter, r *http.Request, p *principal, in *serviceRequest) (serviceView, error) {
	def := &directory.OrgService{Key: in.Key, Name: in.Name, Description: in.Description, SeatLimit: in.SeatLimit}
	if in.GroupIDs != nil {
		def.GroupIDs = *in.GroupIDs
	}
	sv, err := h.dir.CreateService(r.Context(), p.actor(true), p.orgID(), def)
	if err != nil {
		return serviceView{}, err
	}
	w.Header().Set("Location", Prefix+"/services/"+sv.ID)
	w.Header().Set("ETag", etag.Of(sv.Version))
	return viewService(*sv), nil
}

func (h *handler) getService(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (serviceView, error) {
	sv, err := h.dir.GetService(r.Context(), p.orgID(), r.PathValue("id"))
	if err != nil {
		return serviceView{}, err
	}
	w.Header().Set("ETag", etag.Of(sv.Version))
	return viewService(*sv), nil
}

func (h *handler) putService(w http.ResponseWriter, r *http.Request, p *principal, in *serviceRequest) (serviceView, error) {
	version, err := ifMatch(r, in.Version)
	if err != nil {
		return serviceView{}, err
	}
	sv, err := h.dir.UpdateService(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"), version, func(sv *directory.OrgService) error {
		if in.Key != "" && directory.ServiceKey(in.Key) != sv.Key {
			return directory.FieldErrorf(directory.CodeInvalid, "key", "a service's key cannot change (identity providers send it)")
		}
		sv.Name, sv.Description, sv.SeatLimit = in.Name, in.Description, in.SeatLimit
		if in.GroupIDs != nil {
			sv.GroupIDs = *in.GroupIDs
		}
		return nil
	})
	if err != nil {
		return serviceView{}, err
	}
	w.Header().Set("ETag", etag.Of(sv.Version))
	return viewService(*sv), nil
}

func (h *handler) deleteService(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	return noBody{}, h.dir.DeleteService(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"))
}

func (h *handler) assignServices(w http.ResponseWriter, r *http.Request, p *principal, in *assignRequest) (assignResult, error) {
	users, err := h.dir.AssignServices(r.Context(), p.actor(true), p.orgID(), in.UserIDs, in.Services)
	if err != nil {
		return assignResult{}, err
	}
	return h.assignAnswer(r, p, users)
}

func (h *handler) unassignServices(w http.ResponseWriter, r *http.Request, p *principal, in *assignRequest) (assignResult, error) {
	users, err := h.dir.UnassignServices(r.Context(), p.actor(true), p.orgID(), in.UserIDs, in.Services)
	if err != nil {
		return assignResult{}, err
	}
	return h.assignAnswer(r, p, users)
}

func (h *handler) assignAnswer(r *http.Request, p *principal, users []*directory.User) (assignResult, error) {
	all, err := h.dir.OrgServices(r.Context(), p.orgID())
	if err != nil {
		return assignResult{}, err
	}
	out := assignResult{Users: make([]userServices, len(users))}
	for i, u := range users {
		out.Users[i] = viewUserServices(u, all)
	}
	return out, nil
}

// putUserServices makes the user hold exactly the services listed;
// entitlements that name no service stay as they are.
func (h *handler) putUserServices(w http.ResponseWriter, r *http.Request, p *principal, in *setServicesRequest) (userServices, error) {
	all, err := h.dir.OrgServices(r.Context(), p.orgID())
	if err != nil {
		return userServices{}, err
	}
	want, err := directory.PickServices(all, in.Services)
	if err != nil {
		return userServices{}, err
	}
	version, err := ifMatch(r, 0)
	if err != nil {
		return userServices{}, err
	}
	u, err := h.dir.UpdateUser(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"), version, func(u *directory.User) error {
		directory.SetServices(u, want, all)
		return nil
	})
	if err != nil {
		return userServices{}, err
	}
	w.Header().Set("ETag", etag.Of(u.Version))
	return viewUserServices(u, all), nil
}

// servicesOf resolves the service keys of a create or edit request
// against the organization's services (read once per request: all).
func (h *handler) servicesOf(r *http.Request, orgID string, keys []string, all *[]*directory.OrgService) ([]*directory.OrgService, error) {
	if *all == nil {
		got, err := h.dir.OrgServices(r.Context(), orgID)
		if err != nil {
			return nil, err
		}
		if got == nil {
			got = []*directory.OrgService{}
		}
		*all = got
	}
	return directory.PickServices(*all, keys)
}
