// Package mapping parses and matches the external_mappings entries that tie
// an identifier seen by one data source (a GKE cluster, a node name, a
// service account e-mail, an ip:port) to a value owned by another (a scope ID
// or an internal ID). See DESIGN.md, "Mappings".
//
// # Entry syntax
//
// An entry is "<key>@<value>", split at the FIRST '@': the key cannot contain
// '@', the value can. Values are often internal IDs that contain '@'
// themselves (AWS "123456789012@i-0abc", PostgreSQL "7710…/app-sales@orders"),
// whereas keys are names, addresses or glob patterns. A key that would need an
// '@' (a GCP service account e-mail) is written as a glob over the part after
// it, as the coordimap-agent documentation already recommends:
// "*my-project.iam.gserviceaccount.com@123456789012".
//
// The original agent (internal/cloud/utils/mappings.go, SplitConfiguredMappings)
// splits at every '@' and silently drops entries that do not give exactly two
// parts, so every entry it accepted means the same here. Surrounding
// whitespace of an entry is trimmed; [Split] turns the agent's single
// space-separated string into entries.
//
// # Matching
//
// A key without '*' is exact. In a key with '*', each '*' matches any run of
// characters, including an empty one, and the pattern is anchored at both
// ends ("gke-*" matches "gke-a" but not "x-gke-a"); there is no escape, so a
// key cannot match a literal '*'. [Table.Lookup] tries the exact key first;
// otherwise, among the globs that match, the one with the longest literal
// (the number of characters that are not '*') wins.
//
// # Ties
//
// [Parse] rejects every pair of globs that have the same literal length and
// can both match at least one common key (it decides this exactly, and the
// error names such a key), so whenever two globs match a key their literal
// lengths differ and the winner is unique. Globs that are the same pattern
// after runs of '*' are collapsed are the simplest such pair. As a safeguard
// Lookup still orders globs by literal length, longest first, then by their
// position in the configuration, so its answer is deterministic in any case.
package mapping
