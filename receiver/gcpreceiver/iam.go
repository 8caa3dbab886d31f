package gcpreceiver

import (
	"slices"
	"strings"

	crm "google.golang.org/api/cloudresourcemanager/v1"
	run "google.golang.org/api/run/v2"
	"google.golang.org/api/storage/v1"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

func (b *builder) serviceAccountEntities() []entity.Entity {
	var out []entity.Entity
	for _, sa := range b.inv.serviceAccounts {
		status := statusGreen
		if sa.Disabled {
			status = statusRed
		}
		e := b.ent(TypeServiceAccount, "", sa.Email, status, sa, parent(TypeProject, b.projectID()))
		e.NativeIDs = map[string]any{"gcp.service_account.unique_id": sa.UniqueId}
		if sa.DisplayName != "" {
			e.Description["display_name"] = sa.DisplayName
		}
		out = append(out, e)
	}
	return out
}

func (b *builder) customRoleEntities() []entity.Entity {
	var out []entity.Entity
	for _, r := range b.inv.customRoles {
		name := r.Name
		if name == "" {
			name = r.Title
		}
		e := b.ent(TypeIAMRole, "", name, "", r, parent(TypeProject, b.projectID()))
		e.Version = r.Stage
		out = append(out, e)
	}
	return out
}

// binding is one role granted on a resource, from any of the policy
// types (Resource Manager, Storage, Cloud Run).
type binding struct {
	role    string
	members []string
	// condition is the condition's part of the ID (empty without one).
	condition string
	body      any
}

// bindingEntities are a policy's bindings on the resource resourceID (of
// type resourceType), with their principals and the predefined roles they
// grant (when read). The agent's IDs: the binding's hashed over the
// resource, role, members and condition; a principal's
// `<scope>--<principal type>-<member without prefix>`.
func (b *builder) bindingEntities(resourceType, resourceID string, bindings []binding) []entity.Entity {
	var out []entity.Entity
	for _, bd := range bindings {
		members := slices.Clone(bd.members)
		slices.Sort(members)
		id := internalid.GCPIAMBinding(b.scope, resourceID, bd.role, members, bd.condition)
		links := []entity.Link{
			parent(resourceType, resourceID),
			child(TypeIAMRole, b.id("", TypeIAMRole, bd.role)),
		}
		var principals []entity.Entity
		for _, m := range members {
			typ, value, ok := principal(m)
			if !ok {
				continue
			}
			pid := b.id("", typ, value)
			links = append(links, entity.Link{Type: entity.RelAttached, Direction: entity.Outgoing, Target: entity.Ref{Type: typ, InternalID: pid}})
			if typ == TypeServiceAccount && b.ownServiceAccount(value) {
				continue // emitted by the service accounts' read
			}
			p := b.ent(typ, "", value, "", map[string]any{"member": m, "kind": typ, "value": value})
			principals = append(principals, p)
		}
		e := b.ent(TypeIAMBinding, "", "", "", bd.body, links...)
		e.InternalID, e.Name = id, bd.role
		e.Description["role"] = bd.role
		out = append(out, e)
		out = append(out, principals...)
		if r, ok := b.roles[bd.role]; ok {
			re := b.ent(TypeIAMRole, "", bd.role, "", r)
			out = append(out, re)
		}
	}
	return out
}

// ownServiceAccount says whether email is a service account of the
// crawled project (…@<project>.iam.gserviceaccount.com).
func (b *builder) ownServiceAccount(email string) bool {
	return strings.HasSuffix(email, "@"+b.project+".iam.gserviceaccount.com")
}

// principal parses a policy member as the agent did; deleted members and
// the convenience members (projectOwner:…) have no element.
func principal(member string) (typ, value string, ok bool) {
	kind, value, found := strings.Cut(member, ":")
	switch {
	case member == "allUsers" || member == "allAuthenticatedUsers":
		return TypePrincipalPublic, member, true
	case !found:
		return "", "", false
	case kind == "user":
		return TypePrincipalUser, value, true
	case kind == "group":
		return TypePrincipalGroup, value, true
	case kind == "domain":
		return TypePrincipalDomain, value, true
	case kind == "serviceAccount":
		return TypeServiceAccount, value, true
	}
	return "", "", false
}

func (b *builder) projectIAMEntities() []entity.Entity {
	p := b.inv.projectPolicy
	if p == nil {
		return nil
	}
	bs := bindingsOf(p.Bindings, func(x *crm.Binding) (string, []string, *crm.Expr) { return x.Role, x.Members, x.Condition },
		func(c *crm.Expr) string { return condition(c.Title, c.Description, c.Expression, c.Location) })
	return b.bindingEntities(TypeProject, b.projectID(), bs)
}

func (b *builder) bucketIAMEntities() []entity.Entity {
	var out []entity.Entity
	for _, bk := range b.inv.buckets {
		p := b.inv.bucketPolicies[bk.Name]
		loc := bucketLocation(bk.Location)
		if p == nil || (isRegionName(loc) && !b.keep(loc)) {
			continue
		}
		bs := bindingsOf(p.Bindings, func(x *storage.PolicyBindings) (string, []string, *storage.Expr) {
			return x.Role, x.Members, x.Condition
		},
			func(c *storage.Expr) string { return condition(c.Title, c.Description, c.Expression, c.Location) })
		out = append(out, b.bindingEntities(TypeBucket, b.id(loc, TypeBucket, bk.Name), bs)...)
	}
	return out
}

func (b *builder) runIAMEntities() []entity.Entity {
	var out []entity.Entity
	for _, s := range b.inv.services {
		p := b.inv.servicePolicies[s.Name]
		if p == nil || !b.keep(runRegion(s.Name)) {
			continue
		}
		bs := bindingsOf(p.Bindings, func(x *run.GoogleIamV1Binding) (string, []string, *run.GoogleTypeExpr) {
			return x.Role, x.Members, x.Condition
		},
			func(c *run.GoogleTypeExpr) string { return condition(c.Title, c.Description, c.Expression, c.Location) })
		out = append(out, b.bindingEntities(TypeCloudRun, b.runID(s.Name), bs)...)
	}
	return out
}

// bindingsOf turns the bindings of one policy type (Resource Manager,
// Storage, Cloud Run: the same fields, three Go types) into bindings.
func bindingsOf[B any, C comparable](xs []B, fields func(B) (string, []string, C), cond func(C) string) []binding {
	var zero C
	out := make([]binding, 0, len(xs))
	for _, x := range xs {
		role, members, c := fields(x)
		bd := binding{role: role, members: members, body: x}
		if c != zero {
			bd.condition = cond(c)
		}
		out = append(out, bd)
	}
	return out
}

// condition is a binding condition's part of the binding ID.
func condition(title, description, expression, location string) string {
	return internalid.GCPIAMCondition(title, description, expression, location)
}

// predefinedRoles are the predefined roles (roles/…) the policies grant.
func predefinedRoles(inv *inventory) []string {
	var out []string
	add := func(role string) {
		if strings.HasPrefix(role, "roles/") && !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	if inv.projectPolicy != nil {
		for _, x := range inv.projectPolicy.Bindings {
			add(x.Role)
		}
	}
	for _, p := range inv.bucketPolicies {
		for _, x := range p.Bindings {
			add(x.Role)
		}
	}
	for _, p := range inv.servicePolicies {
		for _, x := range p.Bindings {
			add(x.Role)
		}
	}
	slices.Sort(out)
	return out
}
