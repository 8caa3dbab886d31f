package awsreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// IAM element types (policy_config). New: the agent crawled no IAM.
const (
	TypeIAMRole            = "aws.iam_role"
	TypeIAMPolicy          = "aws.iam_policy"
	TypeIAMInstanceProfile = "aws.iam_instance_profile"
)

const (
	// iamKey holds IAM's entities in seen: global, like S3's.
	iamKey = "iam"
	// iamPageSize is the most items IAM returns per page (its default is
	// 100).
	iamPageSize = 1000
	// awsManagedAccount is the account field of AWS managed policy ARNs
	// (arn:aws:iam::aws:policy/…).
	awsManagedAccount = "aws"
)

// iamRegion is the region IAM requests are made for. IAM is global: in
// the aws partition its one endpoint is signed for us-east-1. The other
// partitions (China, GovCloud, ISO, EU sovereign) are told by the home
// region's prefix; the SDK's endpoint rules then pick that partition's
// IAM endpoint and signing region.
func iamRegion(home string) string {
	for _, p := range []string{"cn-", "us-gov-", "us-iso", "eu-isoe-", "eusc-"} {
		if strings.HasPrefix(home, p) {
			return home
		}
	}
	return "us-east-1"
}

// iamInventory is what one IAM crawl returned.
type iamInventory struct {
	// roles come with their attached managed policies, inline policy
	// names, instance profiles, last use and trust policy.
	roles []iamtypes.RoleDetail
	// policies are the customer managed policies and the AWS managed
	// policies in use, with their versions.
	policies []iamtypes.ManagedPolicyDetail
	// listed are ListRoles' roles by ARN, for what
	// GetAccountAuthorizationDetails leaves out (description, maximum
	// session duration).
	listed map[string]iamtypes.Role
}

// iamInventory reads IAM with the fewest calls: ListRoles and
// GetAccountAuthorizationDetails (roles, customer and AWS managed
// policies), both paged 1000 items at a time, so the number of calls
// does not grow with the number of roles until they fill pages.
func (c *client) iamInventory(ctx context.Context) (iamInventory, error) {
	inv := iamInventory{listed: map[string]iamtypes.Role{}}
	lp := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{MaxItems: aws.Int32(iamPageSize)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return inv, fmt.Errorf("iam ListRoles: %w", err)
		}
		for _, r := range page.Roles {
			inv.listed[aws.ToString(r.Arn)] = r
		}
	}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c.iam, &iam.GetAccountAuthorizationDetailsInput{
		Filter:   []iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy},
		MaxItems: aws.Int32(iamPageSize),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return inv, fmt.Errorf("iam GetAccountAuthorizationDetails: %w", err)
		}
		inv.roles = append(inv.roles, page.RoleDetailList...)
		inv.policies = append(inv.policies, page.Policies...)
	}
	return inv, nil
}

// iamEntities are the account's roles, managed policies (every customer
// managed one, the AWS managed ones attached to something) and instance
// profiles, in API order.
func iamEntities(scope string, inv iamInventory, interval time.Duration) []entity.Entity {
	var out []entity.Entity
	policies := map[string]bool{}
	for _, p := range inv.policies {
		arn := aws.ToString(p.Arn)
		if account, _ := arnAccount(arn); account == awsManagedAccount && aws.ToInt32(p.AttachmentCount) == 0 {
			continue
		}
		if policies[arn] {
			continue
		}
		policies[arn] = true
		out = append(out, policyEntity(scope, p, interval))
	}
	profiles := map[string]bool{}
	var profileEnts []entity.Entity
	for _, r := range inv.roles {
		out = append(out, roleEntity(scope, r, inv.listed[aws.ToString(r.Arn)], policies, interval))
		for _, ip := range r.InstanceProfileList {
			if arn := aws.ToString(ip.Arn); !profiles[arn] {
				profiles[arn] = true
				profileEnts = append(profileEnts, instanceProfileEntity(scope, ip, interval))
			}
		}
	}
	return append(out, profileEnts...)
}

// roleEntity is an IAM role, its ARN in the ID: owner → role, role → each
// attached managed policy (relationship "attached"). The trust policy is
// summarised as the principals that may assume the role (never its
// conditions); inline policies by name only.
func roleEntity(scope string, r iamtypes.RoleDetail, listed iamtypes.Role, policies map[string]bool, interval time.Duration) entity.Entity {
	arn := aws.ToString(r.Arn)
	account, _ := arnAccount(arn)
	links := ownerLinks(aws.String(account))
	var attached []any
	for _, p := range r.AttachedManagedPolicies {
		parn := aws.ToString(p.PolicyArn)
		attached = append(attached, parn)
		if policies[parn] {
			links = append(links, entity.Link{Type: entity.RelAttached, Direction: entity.Outgoing, Target: entity.Ref{Type: TypeIAMPolicy, InternalID: internalid.AWS(scope, parn)}})
		}
	}
	var inline, profiles []any
	for _, p := range r.RolePolicyList {
		inline = append(inline, aws.ToString(p.PolicyName))
	}
	for _, ip := range r.InstanceProfileList {
		profiles = append(profiles, aws.ToString(ip.InstanceProfileName))
	}
	lastUsed, lastRegion := "", ""
	if u := r.RoleLastUsed; u != nil {
		lastUsed, lastRegion = rfc3339(u.LastUsedDate), aws.ToString(u.Region)
	}
	boundary := ""
	if b := r.PermissionsBoundary; b != nil {
		boundary = aws.ToString(b.PermissionsBoundaryArn)
	}
	trust := trustPrincipals(aws.ToString(r.AssumeRolePolicyDocument))
	return entity.Entity{
		Ref:  entity.Ref{Type: TypeIAMRole, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.iam.role.arn": arn}},
		Name: aws.ToString(r.RoleName),
		Description: map[string]any{
			"path":             aws.ToString(r.Path),
			"description":      aws.ToString(listed.Description),
			"trusted_services": trust["service"],
		},
		Links: links,
		Body: map[string]any{
			"role_name":                    aws.ToString(r.RoleName),
			"role_id":                      aws.ToString(r.RoleId),
			"arn":                          arn,
			"path":                         aws.ToString(r.Path),
			"description":                  aws.ToString(listed.Description),
			"create_date":                  rfc3339(r.CreateDate),
			"max_session_duration_seconds": int64(aws.ToInt32(listed.MaxSessionDuration)),
			"last_used":                    lastUsed,
			"last_used_region":             lastRegion,
			"trusted_services":             trust["service"],
			"trusted_aws_principals":       trust["aws"],
			"trusted_federated_principals": trust["federated"],
			"attached_policies":            attached,
			"attached_policy_count":        int64(len(attached)),
			"inline_policy_names":          inline,
			"instance_profiles":            profiles,
			"permissions_boundary":         boundary,
			"tags":                         iamTags(r.Tags),
		},
		ReportInterval: interval,
	}
}

// policyEntity is a managed policy, its ARN in the ID: owner → policy for
// a customer managed one. The default version's document is in the body
// for customer managed policies (at most 6,144 characters by IAM's
// quota); AWS managed policies are public, the same in every account and
// can be far larger, so only their default version ID is kept.
func policyEntity(scope string, p iamtypes.ManagedPolicyDetail, interval time.Duration) entity.Entity {
	arn := aws.ToString(p.Arn)
	account, _ := arnAccount(arn)
	awsManaged := account == awsManagedAccount
	var links []entity.Link
	if !awsManaged {
		links = ownerLinks(aws.String(account))
	}
	body := map[string]any{
		"policy_name":                      aws.ToString(p.PolicyName),
		"policy_id":                        aws.ToString(p.PolicyId),
		"arn":                              arn,
		"path":                             aws.ToString(p.Path),
		"description":                      aws.ToString(p.Description),
		"aws_managed":                      awsManaged,
		"create_date":                      rfc3339(p.CreateDate),
		"update_date":                      rfc3339(p.UpdateDate),
		"default_version_id":               aws.ToString(p.DefaultVersionId),
		"attachment_count":                 int64(aws.ToInt32(p.AttachmentCount)),
		"permissions_boundary_usage_count": int64(aws.ToInt32(p.PermissionsBoundaryUsageCount)),
		"is_attachable":                    p.IsAttachable,
	}
	if !awsManaged {
		for _, v := range p.PolicyVersionList {
			if v.IsDefaultVersion {
				if doc := policyDocument(aws.ToString(v.Document)); doc != nil {
					body["document"] = doc
				}
			}
		}
	}
	return entity.Entity{
		Ref:  entity.Ref{Type: TypeIAMPolicy, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.iam.policy.arn": arn}},
		Name: aws.ToString(p.PolicyName),
		Description: map[string]any{
			"path":             aws.ToString(p.Path),
			"aws_managed":      awsManaged,
			"attachment_count": int64(aws.ToInt32(p.AttachmentCount)),
		},
		Links:          links,
		Body:           body,
		ReportInterval: interval,
	}
}

// instanceProfileEntity is an instance profile (those with a role: they
// come with their role), its ARN in the ID: owner → profile, profile →
// its role.
func instanceProfileEntity(scope string, ip iamtypes.InstanceProfile, interval time.Duration) entity.Entity {
	arn := aws.ToString(ip.Arn)
	account, _ := arnAccount(arn)
	links := ownerLinks(aws.String(account))
	var roles []any
	for _, r := range ip.Roles {
		roles = append(roles, aws.ToString(r.RoleName))
		links = append(links, child(TypeIAMRole, internalid.AWS(scope, aws.ToString(r.Arn))))
	}
	return entity.Entity{
		Ref:         entity.Ref{Type: TypeIAMInstanceProfile, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.iam.instance_profile.arn": arn}},
		Name:        aws.ToString(ip.InstanceProfileName),
		Description: map[string]any{"path": aws.ToString(ip.Path)},
		Links:       links,
		Body: map[string]any{
			"instance_profile_name": aws.ToString(ip.InstanceProfileName),
			"instance_profile_id":   aws.ToString(ip.InstanceProfileId),
			"arn":                   arn,
			"path":                  aws.ToString(ip.Path),
			"create_date":           rfc3339(ip.CreateDate),
			"roles":                 roles,
			"tags":                  iamTags(ip.Tags),
		},
		ReportInterval: interval,
	}
}

// iamLink is resource → IAM element (a Lambda function's or EKS
// cluster's role, a node group's node role, an instance's profile),
// listed by the resource, when IAM emitted the element (policy_config,
// this crawl or, when IAM failed, the last one): never a link to an
// element that does not exist.
func iamLink(links []entity.Link, emitted entity.Set, scope, typ, arn string) []entity.Link {
	if arn == "" {
		return links
	}
	id := internalid.AWS(scope, arn)
	if _, ok := emitted[entity.Key{Type: typ, InternalID: id}]; !ok {
		return links
	}
	return append(links, child(typ, id))
}

// arnAccount is the account field of an ARN
// (arn:partition:service:region:account:resource); "aws" for AWS managed
// policies.
func arnAccount(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", false
	}
	return parts[4], true
}

// policyDocument decodes a policy document as IAM returns it
// (URL-encoded JSON, RFC 3986); nil when it is not JSON.
func policyDocument(encoded string) map[string]any {
	if encoded == "" {
		return nil
	}
	text, err := url.PathUnescape(encoded)
	if err != nil {
		// Already plain text (AWS-compatible clouds).
		text = encoded
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil
	}
	return doc
}

// trustPrincipals summarises a trust policy: the principals of its Allow
// statements, by kind ("service", "aws", "federated"),
// sorted and without repeats. Principal "*" (anyone) is listed under
// "aws". Conditions (external IDs among them) are left out.
func trustPrincipals(encoded string) map[string][]any {
	doc := policyDocument(encoded)
	kinds := map[string][]string{}
	var statements []any
	switch s := doc["Statement"].(type) {
	case []any:
		statements = s
	case map[string]any:
		statements = []any{s}
	}
	for _, st := range statements {
		m, ok := st.(map[string]any)
		if !ok || m["Effect"] != "Allow" {
			continue
		}
		switch p := m["Principal"].(type) {
		case string:
			kinds["aws"] = append(kinds["aws"], p)
		case map[string]any:
			for k, v := range p {
				kind := map[string]string{"Service": "service", "AWS": "aws", "Federated": "federated"}[k]
				if kind == "" {
					continue
				}
				switch x := v.(type) {
				case string:
					kinds[kind] = append(kinds[kind], x)
				case []any:
					for _, e := range x {
						if s, ok := e.(string); ok {
							kinds[kind] = append(kinds[kind], s)
						}
					}
				}
			}
		}
	}
	out := map[string][]any{}
	for kind, ps := range kinds {
		slices.Sort(ps)
		for _, p := range slices.Compact(ps) {
			out[kind] = append(out[kind], p)
		}
	}
	return out
}

func iamTags(ts []iamtypes.Tag) map[string]any {
	m := make(map[string]any, len(ts))
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// rfc3339 is t in UTC, or "" when unset.
func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
