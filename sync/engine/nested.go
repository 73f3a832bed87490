package engine

import "sort"

// MaxNestingDepth bounds how deep ResolveNested follows groups within
// groups: members of a group nested deeper than this below a group do not
// count as that group's members. Directories rarely nest more than a few
// levels; the bound keeps a pathological chain from costing a run.
const MaxNestingDepth = 32

// ResolveNested turns direct memberships into effective ones. direct maps
// each group's key (what member lists call the group: an LDAP DN, an
// Entra object id) to its direct member keys, users and groups mixed; a
// member key that is a key of direct is a nested group. It returns, for
// each group, its effective members: every member key that is not a group,
// reached through the group itself or through groups nested in it, down
// to MaxNestingDepth levels, each once, sorted. Cycles (A in B in A)
// terminate: a group already on the way is not entered again. A group
// that holds itself, directly or not, adds nothing by it.
func ResolveNested(direct map[string][]string) map[string][]string {
	out := make(map[string][]string, len(direct))
	for key := range direct {
		users := map[string]bool{}
		walkNested(direct, key, 0, map[string]int{}, users)
		list := make([]string, 0, len(users))
		for m := range users {
			list = append(list, m)
		}
		sort.Strings(list)
		out[key] = list
	}
	return out
}

// walkNested adds to users the non-group members of group key, and of
// the groups in it, depth being key's distance from the group resolved.
// seen records the least depth each group was entered at: a group is
// entered again only if it is now reached higher up, so that each group
// is walked a bounded number of times and a cycle ends.
func walkNested(direct map[string][]string, key string, depth int, seen map[string]int, users map[string]bool) {
	if d, ok := seen[key]; ok && d <= depth {
		return
	}
	seen[key] = depth
	for _, m := range direct[key] {
		if _, isGroup := direct[m]; isGroup {
			if depth < MaxNestingDepth {
				walkNested(direct, m, depth+1, seen, users)
			}
			continue
		}
		users[m] = true
	}
}

// NestedParents lists the groups of direct that hold another of its
// groups, sorted.
func NestedParents(direct map[string][]string) []string {
	var out []string
	for key, members := range direct {
		for _, m := range members {
			if _, isGroup := direct[m]; isGroup && m != key {
				out = append(out, key)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
