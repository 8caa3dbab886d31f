// Package internalid builds the internal IDs of Coordimap elements. They must
// equal what the original coordimap-agent produced so that graphs continue
// across the switch; every format lives here and nowhere else.
package internalid

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Element types used by more than one package.
const (
	TypeKubernetesNamespace = "kubernetes.namespace"
	TypeGCPCloudSQL         = "gcp.cloud_sql"
	TypeMetricTrigger       = "coordimap.metric_trigger"
	TypeHost                = "coordimap.host"
	TypeProcess             = "coordimap.process"
	// Kubernetes element types an OTel resource names (k8s.* attributes).
	TypeKubernetesPod         = "kubernetes.pod"
	TypeKubernetesNode        = "kubernetes.node"
	TypeKubernetesDeployment  = "kubernetes.deployment"
	TypeKubernetesReplicaSet  = "kubernetes.replica_set"
	TypeKubernetesStatefulSet = "kubernetes.stateful_set"
	TypeKubernetesDaemonSet   = "kubernetes.daemon_set"
	TypeKubernetesJob         = "kubernetes.job"
	TypeKubernetesCronJob     = "kubernetes.cronjob"
	TypeAWSInstance           = "aws.instance"
	TypeGCPVM                 = "gcp.vm_instance"
	TypePostgresDatabase      = "postgres.database"
	// TypeOTelService is a service seen in OpenTelemetry traces or metrics
	// (new: the original agent had no such element).
	TypeOTelService = "coordimap.asset.otel_service"
)

// OTelService is a service of OpenTelemetry data:
// `<scope>-<service.namespace>-coordimap.asset.otel_service-<service.name>`,
// the Kubernetes shape (an empty namespace leaves an empty segment).
func OTelService(scope, namespace, name string) string {
	return Kubernetes(scope, namespace, TypeOTelService, name)
}

// Kubernetes is `<scope>-<namespace>-<type>-<name>`. Cluster-wide objects
// pass an empty namespace (`uid--kubernetes.node-n1`).
func Kubernetes(scope, namespace, elemType, name string) string {
	return scope + "-" + namespace + "-" + elemType + "-" + name
}

// KubernetesNamespace is a namespace's ID: its name is empty, so the ID
// ends in '-' (`uid-shop-kubernetes.namespace-`).
func KubernetesNamespace(scope, namespace string) string {
	return Kubernetes(scope, namespace, TypeKubernetesNamespace, "")
}

// GCP is `<scope>-<zone>-<type>-<name>`; global assets pass an empty zone.
func GCP(scope, zone, elemType, name string) string {
	return scope + "-" + zone + "-" + elemType + "-" + name
}

// TypeGCPIAMBinding is a role granted to members on one resource.
const TypeGCPIAMBinding = "gcp.iam_binding"

// GCPIAMBinding is a binding's ID, as the original agent hashed it:
// `<scope>--gcp.iam_binding-<hex SHA-256>` of
// `<resource ID>|<role>|<members sorted, comma-joined>|<condition>`, the
// condition being `<title>|<description>|<expression>|<location>` or
// empty. members must be sorted.
func GCPIAMBinding(scope, resourceID, role string, members []string, condition string) string {
	key := strings.Join([]string{resourceID, role, strings.Join(members, ","), condition}, "|")
	sum := sha256.Sum256([]byte(key))
	return GCP(scope, "", TypeGCPIAMBinding, hex.EncodeToString(sum[:]))
}

// GCPIAMCondition is a binding condition's part of GCPIAMBinding.
func GCPIAMCondition(title, description, expression, location string) string {
	return strings.Join([]string{title, description, expression, location}, "|")
}

// AWS is `<scope>@<aws id or ARN>`.
func AWS(scope, awsID string) string { return scope + "@" + awsID }

// AWSOwner is the account's aws.owner element: the bare account ID, as the
// original agent's owner element. (The agent's edges from the owner used
// `<account>@<account>`, which no element had; edges use this ID too.)
func AWSOwner(account string) string { return account }

// ExternalIP is the element of a public address seen as a flow's end
// (new: the original agent sent edges to the bare address):
// `external-ip@<address>`, the same whichever data source saw it.
func ExternalIP(addr string) string { return "external-ip@" + addr }

// ExternalNetwork is the element of a network (CIDR) of public addresses
// counted together: `external-network@<prefix>`.
func ExternalNetwork(prefix string) string { return "external-network@" + prefix }

// PostgresDatabase is `<scope>/<db>-@`.
func PostgresDatabase(scope, db string) string { return Postgres(scope, db, "", "") }

// PostgresSchema is `<scope>/<db>-<schema>@`.
func PostgresSchema(scope, db, schema string) string { return Postgres(scope, db, schema, "") }

// Postgres is `<scope>/<db>-<schema>@<name>` for tables, views, indexes,
// sequences and functions alike (they share one namespace per schema in
// PostgreSQL, except functions, which callers disambiguate in name).
func Postgres(scope, db, schema, name string) string {
	return scope + "/" + db + "-" + schema + "@" + name
}

// MariaDBSchema is `<scope>/<schema>@`.
func MariaDBSchema(scope, schema string) string { return MariaDB(scope, schema, "") }

// MariaDB is `<scope>/<schema>@<name>` for tables, views and routines.
func MariaDB(scope, schema, name string) string { return scope + "/" + schema + "@" + name }

// MariaDBIndex is `<scope>/<schema>@<table>.<index>`: index names are only
// unique per table (the original agent gave every PRIMARY the same ID).
func MariaDBIndex(scope, schema, table, index string) string {
	return MariaDB(scope, schema, table+"."+index)
}

// MongoDatabase is `<scope>/<db>`.
func MongoDatabase(scope, db string) string { return scope + "/" + db }

// MongoCollection is `<scope>/<db>/<collection>`.
func MongoCollection(scope, db, collection string) string {
	return MongoDatabase(scope, db) + "/" + collection
}

// MongoIndex is `<scope>/<db>/<collection>/<collection>.<index>`: the
// original agent named indexes `<collection>.<index>`.
func MongoIndex(scope, db, collection, index string) string {
	return MongoCollection(scope, db, collection) + "/" + collection + "." + index
}

// Host is a machine seen by the eBPF flows receiver in server mode:
// `<scope>-host-<hostname>`, the scope being the machine ID unless
// configured. The original agent had no host elements.
func Host(scope, hostname string) string { return scope + "-host-" + hostname }

// Process is a process of a host seen by the eBPF flows receiver:
// `<scope>-process-<hostname>-<name>`, name from ProcessName. No pid is in
// it, so a program restarted keeps its ID. The original agent had no
// process elements.
func Process(scope, hostname, name string) string {
	return scope + "-process-" + hostname + "-" + name
}

// ProcessContext is what tells two instances of one program on a host
// apart, each part empty when it does not apply.
type ProcessContext struct {
	// Pod is the Kubernetes pod UID (from the cgroup path).
	Pod string
	// Runtime and Container are the container runtime and ID; only the
	// first 12 characters of the ID are used.
	Runtime, Container string
	// Netns names a network namespace other than the host's that no pod or
	// container accounts for (an `ip netns` name, else its inode number).
	Netns string
	// Unit is the systemd service of a process outside containers.
	Unit string
}

// ProcessName is the name part of a Process ID: the program (its
// executable path, or its command when the path cannot be read), after the
// context that tells it apart: `pod=<uid>:` for a pod's process,
// `<runtime>=<container id[:12]>:` for another container's,
// `netns=<name>,unit=<unit>:` (each when it applies) otherwise. A program
// of the host's network namespace outside containers and services is its
// path alone.
func ProcessName(c ProcessContext, program string) string {
	var parts []string
	switch {
	case c.Pod != "":
		parts = append(parts, "pod="+c.Pod)
	case c.Container != "":
		runtime := c.Runtime
		if runtime == "" {
			runtime = "container"
		}
		id := c.Container
		if len(id) > 12 {
			id = id[:12]
		}
		parts = append(parts, runtime+"="+id)
	default:
		if c.Netns != "" {
			parts = append(parts, "netns="+c.Netns)
		}
		if c.Unit != "" {
			parts = append(parts, "unit="+c.Unit)
		}
	}
	if len(parts) == 0 {
		return program
	}
	return strings.Join(parts, ",") + ":" + program
}

// MetricTriggerBucket is the minute bucket of a metric trigger ID.
func MetricTriggerBucket(t time.Time) string { return t.UTC().Format("200601021504") }

// MetricTrigger is `metric-trigger:<dsid>:<rule>:<YYYYMMDDhhmm>:<ids>` with
// the target IDs sorted and joined by commas.
func MetricTrigger(dataSourceID, ruleID string, at time.Time, targetIDs []string) string {
	ids := slices.Clone(targetIDs)
	slices.Sort(ids)
	return "metric-trigger:" + dataSourceID + ":" + ruleID + ":" + MetricTriggerBucket(at) + ":" + strings.Join(ids, ",")
}

// Mapped is the element a mapping_internal_id setting points at. Type is
// empty when the setting does not say.
type Mapped struct {
	ID   string
	Type string
}

// FromMappingConfig turns a database's mapping_internal_id setting into the
// internal ID (and, where it says, the type) of the element that hosts the
// database:
//
//	gcp:<zone>:<instance>:<project number>  → the Cloud SQL instance
//	kube:<namespace>:<name>:<cluster uid>   → as the original agent built it
//	kube:<namespace>:<type>:<name>:<cluster uid> → any Kubernetes element
//	aws:<account id>:<aws id or ARN>        → any AWS element
//
// Any other value without one of those prefixes is taken as an internal ID
// as it is.
func FromMappingConfig(v string) (Mapped, error) {
	if v == "" {
		return Mapped{}, fmt.Errorf("empty mapping")
	}
	prefix, rest, found := strings.Cut(v, ":")
	if !found {
		return Mapped{ID: v}, nil
	}
	switch prefix {
	case "gcp":
		p := strings.Split(rest, ":")
		if len(p) != 3 || slices.Contains(p, "") {
			return Mapped{}, fmt.Errorf("%q: want gcp:<zone>:<instance>:<project number>", v)
		}
		return Mapped{ID: GCP(p[2], p[0], TypeGCPCloudSQL, p[1]), Type: TypeGCPCloudSQL}, nil
	case "kube":
		p := strings.Split(rest, ":")
		switch {
		case len(p) == 3 && !slices.Contains(p, ""):
			// The original agent's form: it typed the target as a namespace.
			return Mapped{ID: Kubernetes(p[2], p[0], TypeKubernetesNamespace, p[1]), Type: TypeKubernetesNamespace}, nil
		case len(p) == 4 && !slices.Contains(p, ""):
			return Mapped{ID: Kubernetes(p[3], p[0], p[1], p[2]), Type: p[1]}, nil
		}
		return Mapped{}, fmt.Errorf("%q: want kube:<namespace>:[<type>:]<name>:<cluster uid>", v)
	case "aws":
		account, id, ok := strings.Cut(rest, ":")
		if !ok || account == "" || id == "" {
			return Mapped{}, fmt.Errorf("%q: want aws:<account id>:<aws id or ARN>", v)
		}
		return Mapped{ID: AWS(account, id)}, nil
	}
	return Mapped{ID: v}, nil
}
