package postgresreceiver

import (
	"slices"
	"strconv"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Element types, as the original agent named them.
const (
	typeDatabase         = "postgres.database"
	typeSchema           = "postgres.schema"
	typeTable            = "postgres.table"
	typeIndex            = "postgres.index"
	typeView             = "postgres.view"
	typeMaterializedView = "postgres.materialized_view"
	typeFunction         = "postgres.function"
	typeProcedure        = "postgres.procedure"
	typeSequence         = "postgres.sequence"
)

// Constraint types inside a table's body.
var constraintTypes = map[string]string{
	"p": "postgres.primary_key",
	"f": "postgres.foreign_key",
	"u": "postgres.unique",
	"c": "postgres.check",
	"x": "postgres.exclusion",
}

// relkind → the table body's kind.
var relationKinds = map[string]string{
	"r": "table",
	"p": "partitioned_table",
	"f": "foreign_table",
	"v": "view",
	"m": "materialized_view",
	"S": "sequence",
}

// prokind → the function body's kind.
var functionKinds = map[string]string{
	"f": "function",
	"p": "procedure",
	"a": "aggregate",
	"w": "window",
}

// crawler turns one database's catalog into entities.
type crawler struct {
	scope, db string
	// host and port of the server, endpoint is host:port.
	host     string
	port     int64
	endpoint string
	// mapping is the resolved mapping_internal_id, or "".
	mapping  string
	interval time.Duration
}

// ids returns the internal ID of an object of a schema.
func (cr *crawler) id(schema, name string) string {
	return internalid.Postgres(cr.scope, cr.db, schema, name)
}

func (cr *crawler) partition(schema string) string { return cr.db + "-" + schema }

// entities builds every entity of the database: the database, then each
// schema followed by its objects, in catalog order.
func (cr *crawler) entities(cat *catalog) []entity.Entity {
	dbID := internalid.PostgresDatabase(cr.scope, cr.db)
	dbRef := entity.Ref{Type: typeDatabase, InternalID: dbID}

	// Group the rows by relation and by schema.
	columns := groupBy(cat.Columns, func(c columnRow) uint32 { return c.RelOID })
	constraints := groupBy(cat.Constraints, func(c constraintRow) uint32 { return c.RelOID })
	indexes := groupBy(cat.Indexes, func(i indexRow) uint32 { return i.RelOID })
	relations := groupBy(cat.Relations, func(r relationRow) string { return r.Schema })
	functions := groupBy(cat.Functions, func(f functionRow) string { return f.Schema })

	out := make([]entity.Entity, 0, 2+len(cat.Schemas)+len(cat.Relations)+len(cat.Indexes)+len(cat.Functions))

	schemaNames := make([]any, 0, len(cat.Schemas))
	for _, s := range cat.Schemas {
		schemaNames = append(schemaNames, s.Name)
	}
	db := entity.Entity{
		Ref:            dbRef,
		Name:           cr.db,
		Partition:      cr.partition(""),
		Description:    map[string]any{"database": cr.db},
		Addresses:      []string{cr.endpoint},
		ReportInterval: cr.interval,
		Body: map[string]any{
			"db_name":        cr.db,
			"db_host":        cr.host,
			"db_port":        cr.port,
			"schemas":        schemaNames,
			"owner":          cat.Owner,
			"encoding":       cat.Encoding,
			"server_version": cat.ServerVersion,
		},
	}
	if cr.mapping != "" {
		db.Links = []entity.Link{{
			Type:      entity.RelParentChild,
			Direction: entity.Incoming,
			External:  true,
			Target:    entity.Ref{InternalID: cr.mapping},
		}}
	}
	out = append(out, db)

	for _, s := range cat.Schemas {
		schemaRef := entity.Ref{Type: typeSchema, InternalID: internalid.PostgresSchema(cr.scope, cr.db, s.Name)}
		lists := map[string][]any{"tables": {}, "views": {}, "materialized_views": {}, "sequences": {}, "functions": {}}
		schemaAt := len(out)
		out = append(out, entity.Entity{}) // filled once its lists are known

		for i := range relations[s.Name] {
			r := &relations[s.Name][i]
			ents := cr.relation(r, dbRef, schemaRef, columns[r.OID], constraints[r.OID], indexes[r.OID])
			switch r.Kind {
			case "v":
				lists["views"] = append(lists["views"], r.Name)
			case "m":
				lists["materialized_views"] = append(lists["materialized_views"], r.Name)
			case "S":
				lists["sequences"] = append(lists["sequences"], r.Name)
			default:
				lists["tables"] = append(lists["tables"], r.Name)
			}
			out = append(out, ents...)
		}
		for _, f := range functions[s.Name] {
			e := cr.function(f, schemaRef)
			lists["functions"] = append(lists["functions"], e.Body["signature"])
			out = append(out, e)
		}

		body := map[string]any{"name": s.Name, "database": cr.db, "owner": s.Owner}
		for k, v := range lists {
			body[k] = v
		}
		out[schemaAt] = entity.Entity{
			Ref:            schemaRef,
			Name:           s.Name,
			Partition:      cr.partition(s.Name),
			Description:    map[string]any{"database": cr.db, "schema": s.Name},
			Links:          []entity.Link{incoming(entity.RelER, dbRef)},
			ReportInterval: cr.interval,
			Body:           body,
		}
	}
	return out
}

// relation builds a table, view, materialized view or sequence, followed by
// its indexes.
func (cr *crawler) relation(r *relationRow, dbRef, schemaRef entity.Ref, cols []columnRow, cons []constraintRow, idxs []indexRow) []entity.Entity {
	ref := entity.Ref{InternalID: cr.id(r.Schema, r.Name)}
	body := map[string]any{"name": r.Name, "schema": r.Schema, "kind": relationKinds[r.Kind], "owner": r.Owner}
	links := []entity.Link{incoming(entity.RelER, schemaRef)}

	switch r.Kind {
	case "S":
		ref.Type = typeSequence
		putIf(body, "data_type", r.SeqType)
		putIntIf(body, "start", r.SeqStart)
		putIntIf(body, "increment", r.SeqIncrement)
		putIntIf(body, "min_value", r.SeqMin)
		putIntIf(body, "max_value", r.SeqMax)
		putIntIf(body, "cache", r.SeqCache)
		if r.SeqCycle != nil {
			body["cycle"] = *r.SeqCycle
		}
		if r.OwnedByTable != nil && r.OwnedBySchema != nil && r.OwnedByColumn != nil {
			body["owned_by"] = *r.OwnedBySchema + "." + *r.OwnedByTable + "." + *r.OwnedByColumn
			links = append(links, incoming(entity.RelER, entity.Ref{Type: typeTable, InternalID: cr.id(*r.OwnedBySchema, *r.OwnedByTable)}))
		}
	case "v", "m":
		ref.Type = typeView
		if r.Kind == "m" {
			ref.Type = typeMaterializedView
			// The original agent linked materialized views to the database too.
			links = append(links, incoming(entity.RelER, dbRef))
		}
		body["columns"] = cr.columns(ref.InternalID, cols)
		putIf(body, "definition", r.Definition)
	default:
		ref.Type = typeTable
		body["columns"] = cr.columns(ref.InternalID, cols)
		body["constraints"] = cr.constraints(ref.InternalID, cols, cons)
		putIf(body, "partition_key", r.PartitionKey)
		if r.Parent != nil && r.ParentSchema != nil {
			body["partition_of"] = *r.ParentSchema + "." + *r.Parent
			putIf(body, "partition_bound", r.PartitionBound)
			links = append(links, incoming(entity.RelParentChild, entity.Ref{Type: typeTable, InternalID: cr.id(*r.ParentSchema, *r.Parent)}))
		}
		// Foreign keys: one edge per referenced table, carried by the
		// referencing table.
		seen := map[string]bool{}
		for _, c := range cons {
			if c.Kind != "f" || c.RefSchema == nil || c.RefName == nil {
				continue
			}
			target := cr.id(*c.RefSchema, *c.RefName)
			if seen[target] {
				continue
			}
			seen[target] = true
			links = append(links, entity.Link{Type: entity.RelER, Direction: entity.Outgoing, Target: entity.Ref{Type: typeTable, InternalID: target}})
		}
	}

	out := make([]entity.Entity, 0, 1+len(idxs))
	if r.Kind != "S" && r.Kind != "v" {
		names := make([]any, 0, len(idxs))
		for _, ix := range idxs {
			names = append(names, ix.Name)
		}
		body["indexes"] = names
	}
	out = append(out, entity.Entity{
		Ref:            ref,
		Name:           r.Name,
		Partition:      cr.partition(r.Schema),
		Description:    map[string]any{"database": cr.db, "schema": r.Schema},
		Links:          links,
		ReportInterval: cr.interval,
		Body:           body,
	})
	for _, ix := range idxs {
		out = append(out, cr.index(r.Schema, ix, ref, dbRef, schemaRef, cols))
	}
	return out
}

func (cr *crawler) index(schema string, ix indexRow, table, dbRef, schemaRef entity.Ref, cols []columnRow) entity.Entity {
	columns := make([]any, 0, len(ix.Columns))
	for i, name := range ix.Columns {
		typ := ""
		for _, c := range cols {
			if c.Name == name {
				typ = c.Type
				break
			}
		}
		columns = append(columns, map[string]any{"name": name, "type": typ, "position": int64(i + 1), "table": table.InternalID})
	}
	return entity.Entity{
		Ref:         entity.Ref{Type: typeIndex, InternalID: cr.id(schema, ix.Name)},
		Name:        ix.Name,
		Partition:   cr.partition(schema),
		Description: map[string]any{"database": cr.db, "schema": schema},
		Links: []entity.Link{
			incoming(entity.RelER, table),
			incoming(entity.RelER, dbRef),
			incoming(entity.RelER, schemaRef),
		},
		ReportInterval: cr.interval,
		Body: map[string]any{
			"name":       ix.Name,
			"columns":    columns,
			"table":      table.InternalID,
			"schema":     schemaRef.InternalID,
			"method":     ix.Method,
			"is_unique":  ix.Unique,
			"is_primary": ix.Primary,
			"definition": ix.Definition,
		},
	}
}

// function builds a function or procedure. Overloads share a name, so the
// internal ID holds the argument types: `order_total(bigint, integer)`.
func (cr *crawler) function(f functionRow, schemaRef entity.Ref) entity.Entity {
	typ := typeFunction
	if f.Kind == "p" {
		typ = typeProcedure
	}
	signature := f.Name + "(" + f.ArgTypes + ")"
	return entity.Entity{
		Ref:            entity.Ref{Type: typ, InternalID: cr.id(f.Schema, signature)},
		Name:           f.Name,
		Partition:      cr.partition(f.Schema),
		Description:    map[string]any{"database": cr.db, "schema": f.Schema},
		Links:          []entity.Link{incoming(entity.RelER, schemaRef)},
		ReportInterval: cr.interval,
		Body: map[string]any{
			"name":      f.Name,
			"signature": signature,
			"arguments": f.Arguments,
			"result":    f.Result,
			"kind":      functionKinds[f.Kind],
			"language":  f.Language,
			"schema":    f.Schema,
			"owner":     f.Owner,
		},
	}
}

// columns lists a relation's columns in the original agent's shape.
func (cr *crawler) columns(tableID string, cols []columnRow) []any {
	out := make([]any, 0, len(cols))
	for _, c := range cols {
		out = append(out, map[string]any{
			"name":     c.Name,
			"type":     c.Type,
			"position": int64(c.Position),
			"table":    tableID,
			"nullable": !c.NotNull,
		})
	}
	return out
}

// constraints lists a table's constraints in the original agent's shape:
// sources are the table's columns, destinations (foreign keys only) the
// referenced columns named `<schema>.<table>.<column>`.
func (cr *crawler) constraints(tableID string, cols []columnRow, cons []constraintRow) []any {
	out := make([]any, 0, len(cons))
	for _, c := range cons {
		sources := make([]any, 0, len(c.Columns))
		for i, name := range c.Columns {
			typ := ""
			for _, col := range cols {
				if col.Name == name {
					typ = col.Type
					break
				}
			}
			sources = append(sources, map[string]any{"name": name, "type": typ, "position": int64(i + 1), "table": tableID})
		}
		destinations := make([]any, 0, len(c.RefColumns))
		if c.RefSchema != nil && c.RefName != nil {
			refID := cr.id(*c.RefSchema, *c.RefName)
			for i, name := range c.RefColumns {
				destinations = append(destinations, map[string]any{
					"name":     *c.RefSchema + "." + *c.RefName + "." + name,
					"type":     "",
					"position": int64(i + 1),
					"table":    refID,
				})
			}
		}
		typ, ok := constraintTypes[c.Kind]
		if !ok {
			typ = c.Kind
		}
		out = append(out, map[string]any{
			"name":         c.Name,
			"type":         typ,
			"sources":      sources,
			"destinations": destinations,
			"definition":   c.Definition,
		})
	}
	return out
}

func incoming(typ string, from entity.Ref) entity.Link {
	return entity.Link{Type: typ, Direction: entity.Incoming, Target: from}
}

func putIf(m map[string]any, key string, v *string) {
	if v != nil {
		m[key] = *v
	}
}

func putIntIf(m map[string]any, key string, v *int64) {
	if v != nil {
		m[key] = *v
	}
}

// groupBy groups rows by key. The queries return rows ordered by that key,
// so groups are sub-slices of rows; a key met again later is appended.
func groupBy[T any, K comparable](rows []T, key func(T) K) map[K][]T {
	out := make(map[K][]T)
	start := 0
	for i := 1; i <= len(rows); i++ {
		if i < len(rows) && key(rows[i]) == key(rows[start]) {
			continue
		}
		k := key(rows[start])
		if prev, ok := out[k]; ok {
			out[k] = append(slices.Clip(prev), rows[start:i]...)
		} else {
			out[k] = rows[start:i:i]
		}
		start = i
	}
	return out
}

// formatInterval renders a duration the way the original agent's
// crawl_interval was written (`60s`).
func formatInterval(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}
