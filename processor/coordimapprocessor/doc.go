// Package coordimapprocessor is the `coordimap` logs processor. It sits
// between the coordimap receivers and the coordimap exporter and completes
// entity event records (see DESIGN.md) with what no single data source
// knows:
//
//   - entity.state links that carry a mapping key get their target's internal
//     ID from external_mappings;
//   - coordimap.relationship endpoints that are bare addresses (ip, ip:port)
//     are resolved to internal IDs, through external_mappings or through the
//     addresses entities announced in their state events;
//   - metric_rules are evaluated every evaluation_interval against
//     Prometheus and Cloud Monitoring (internal/metricrules), and their
//     coordimap.metric_trigger elements are sent as records of the data
//     source each rule names.
//
// Records are read and changed only through internal/entity.
package coordimapprocessor
