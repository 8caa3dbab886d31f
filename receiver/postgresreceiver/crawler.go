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

// fkActions → a foreign key's ON UPDATE / ON DELETE action.
var fkActions = map[string]string{
	"a": "no action",
	"r": "restrict",
	"c": "cascade",
	"n": "set null",
	"d": "set default",
}

// crawler turns one database's catalog into entities.
type crawler struct {
	scope, db string
	// host and port of the server, endpoint is host:port.
	host     string
	port     int64
	endpoint string
	// mapping is the resolved mapping_internal_id; its ID is "" when unset.
	mapping  internalid.Mapped
	interval time.Duration
}

// id is the internal ID of an object of a schema.
func (cr *crawler) id(schema, name string) string {
	return internalid.Postgres(cr.scope, cr.db, schema, name)
}

func (cr *crawler) partition(schema string) string { return cr.db + "-" + schema }

func (cr *crawler) databaseRef() entity.Ref {
	return entity.Ref{Type: typeDatabase, InternalID: internalid.PostgresDatabase(cr.scope, cr.db)}
}

func (cr *crawler) schemaRef(schema string) entity.Ref {
	return entity.Ref{Type: typeSchema, InternalID: internalid.PostgresSchema(cr.scope, cr.db, schema)}
}

func (cr *crawler) relationRef(r *relationRow) entity.Ref {
	typ := typeTable
	switch r.Kind {
	case "S":
		typ = typeSequence
	case "v":
		typ = typeView
	case "m":
		typ = typeMaterializedView
	}
	return entity.Ref{Type: typ, InternalID: cr.id(r.Schema, r.Name)}
}

func (cr *crawler) indexRef(schema, name string) entity.Ref {
	return entity.Ref{Type: typeIndex, InternalID: cr.id(schema, name)}
}

// functionRef: overloads share a name, so the internal ID holds the
// argument types, `order_total(bigint, integer)`.
func (cr *crawler) functionRef(f *functionRow) entity.Ref {
	typ := typeFunction
	if f.Kind == "p" {
		typ = typeProcedure
	}
	return entity.Ref{Type: typ, InternalID: cr.id(f.Schema, signature(f))}
}

func signature(f *functionRow) string { return f.Name + "(" + f.ArgTypes + ")" }

// keys lists what entities would emit, without building them, so that
// deletes can be decided before the states are streamed into the batch.
func (cr *crawler) keys(cat *catalog) entity.Set {
	keys := make(entity.Set, 1+len(cat.Schemas)+len(cat.Relations)+len(cat.Indexes)+len(cat.Functions))
	add := keys.Add
	add(cr.databaseRef())
	schemas := make(map[string]bool, len(cat.Schemas))
	for _, s := range cat.Schemas {
		schemas[s.Name] = true
		add(cr.schemaRef(s.Name))
	}
	relSchema := make(map[uint32]string, len(cat.Relations))
	for i := range cat.Relations {
		r := &cat.Relations[i]
		if schemas[r.Schema] {
			add(cr.relationRef(r))
			relSchema[r.OID] = r.Schema
		}
	}
	for _, ix := range cat.Indexes {
		if schema, ok := relSchema[ix.RelOID]; ok {
			add(cr.indexRef(schema, ix.Name))
		}
	}
	for i := range cat.Functions {
		if f := &cat.Functions[i]; schemas[f.Schema] {
			add(cr.functionRef(f))
		}
	}
	return keys
}

// entities emits every entity of the database: the database, then each
// schema followed by its objects (a table is followed by its indexes), in
// catalog order. It stops at the first error emit returns.
func (cr *crawler) entities(cat *catalog, emit func(entity.Entity) error) error {
	dbRef := cr.databaseRef()
	columns := groupBy(cat.Columns, func(c columnRow) uint32 { return c.RelOID })
	constraints := groupBy(cat.Constraints, func(c constraintRow) uint32 { return c.RelOID })
	indexes := groupBy(cat.Indexes, func(i indexRow) uint32 { return i.RelOID })
	relations := groupBy(cat.Relations, func(r relationRow) string { return r.Schema })
	functions := groupBy(cat.Functions, func(f functionRow) string { return f.Schema })

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
	if cr.mapping.ID != "" {
		db.Links = []entity.Link{{
			Type:      entity.RelParentChild,
			Direction: entity.Incoming,
			External:  true,
			Target:    entity.Ref{Type: cr.mapping.Type, InternalID: cr.mapping.ID},
		}}
	}
	if err := emit(db); err != nil {
		return err
	}

	for _, s := range cat.Schemas {
		schemaRef := cr.schemaRef(s.Name)
		if err := emit(cr.schema(s, schemaRef, dbRef, relations[s.Name], functions[s.Name])); err != nil {
			return err
		}
		for i := range relations[s.Name] {
			r := &relations[s.Name][i]
			ref := cr.relationRef(r)
			cols := columns[r.OID]
			if err := emit(cr.relation(r, ref, dbRef, schemaRef, cols, columns, constraints[r.OID], indexes[r.OID])); err != nil {
				return err
			}
			for _, ix := range indexes[r.OID] {
				if err := emit(cr.index(r.Schema, ix, ref, dbRef, schemaRef, cols)); err != nil {
					return err
				}
			}
		}
		for i := range functions[s.Name] {
			if err := emit(cr.function(&functions[s.Name][i], schemaRef)); err != nil {
				return err
			}
		}
	}
	return nil
}

// schema builds a schema with the names of its objects, by kind.
func (cr *crawler) schema(s schemaRow, ref, dbRef entity.Ref, rels []relationRow, funcs []functionRow) entity.Entity {
	tables, views, matviews, sequences := []any{}, []any{}, []any{}, []any{}
	for _, r := range rels {
		switch r.Kind {
		case "v":
			views = append(views, r.Name)
		case "m":
			matviews = append(matviews, r.Name)
		case "S":
			sequences = append(sequences, r.Name)
		default:
			tables = append(tables, r.Name)
		}
	}
	functions := make([]any, 0, len(funcs))
	for i := range funcs {
		functions = append(functions, signature(&funcs[i]))
	}
	return entity.Entity{
		Ref:            ref,
		Name:           s.Name,
		Partition:      cr.partition(s.Name),
		Description:    map[string]any{"database": cr.db, "schema": s.Name},
		Links:          []entity.Link{incoming(entity.RelER, dbRef)},
		ReportInterval: cr.interval,
		Body: map[string]any{
			"name":               s.Name,
			"database":           cr.db,
			"owner":              s.Owner,
			"tables":             tables,
			"views":              views,
			"materialized_views": matviews,
			"sequences":          sequences,
			"functions":          functions,
		},
	}
}

// relation builds a table, view, materialized view or sequence.
func (cr *crawler) relation(r *relationRow, ref, dbRef, schemaRef entity.Ref, cols []columnRow, allCols map[uint32][]columnRow, cons []constraintRow, idxs []indexRow) entity.Entity {
	body := map[string]any{"name": r.Name, "schema": r.Schema, "kind": relationKinds[r.Kind], "owner": r.Owner}
	links := []entity.Link{incoming(entity.RelER, schemaRef)}

	switch r.Kind {
	case "S":
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
		body["columns"] = cr.columns(ref.InternalID, cols)
		putIf(body, "definition", r.Definition)
		if r.Kind == "m" {
			// The original agent linked materialized views to the database too.
			links = append(links, incoming(entity.RelER, dbRef))
		}
	default:
		body["columns"] = cr.columns(ref.InternalID, cols)
		body["constraints"] = cr.constraints(ref.InternalID, cols, allCols, cons)
		putIf(body, "partition_key", r.PartitionKey)
		if r.Parent != nil && r.ParentSchema != nil {
			body["partition_of"] = *r.ParentSchema + "." + *r.Parent
			putIf(body, "partition_bound", r.PartitionBound)
			links = append(links, incoming(entity.RelParentChild, entity.Ref{Type: typeTable, InternalID: cr.id(*r.ParentSchema, *r.Parent)}))
		}
		// Foreign keys: one edge per referenced table, carried by the
		// referencing table.
		var seen map[string]bool
		for _, c := range cons {
			if c.Kind != "f" || c.RefSchema == nil || c.RefName == nil {
				continue
			}
			target := cr.id(*c.RefSchema, *c.RefName)
			if seen[target] {
				continue
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[target] = true
			links = append(links, entity.Link{Type: entity.RelER, Direction: entity.Outgoing, Target: entity.Ref{Type: typeTable, InternalID: target}})
		}
	}
	if r.Kind != "S" && r.Kind != "v" {
		names := make([]any, 0, len(idxs))
		for _, ix := range idxs {
			names = append(names, ix.Name)
		}
		body["indexes"] = names
	}
	return entity.Entity{
		Ref:            ref,
		Name:           r.Name,
		Partition:      cr.partition(r.Schema),
		Description:    map[string]any{"database": cr.db, "schema": r.Schema},
		Links:          links,
		ReportInterval: cr.interval,
		Body:           body,
	}
}

func (cr *crawler) index(schema string, ix indexRow, table, dbRef, schemaRef entity.Ref, cols []columnRow) entity.Entity {
	columns := make([]any, 0, len(ix.Keys))
	for i, attnum := range ix.Keys {
		name, typ := "", ""
		if c, ok := column(cols, attnum); ok && attnum > 0 {
			name, typ = c.Name, c.Type
		} else if i < len(ix.Expressions) {
			name = ix.Expressions[i]
		}
		columns = append(columns, map[string]any{"name": name, "type": typ, "position": int64(i + 1), "table": table.InternalID})
	}
	body := map[string]any{
		"name":       ix.Name,
		"columns":    columns,
		"table":      table.InternalID,
		"schema":     schemaRef.InternalID,
		"method":     ix.Method,
		"is_unique":  ix.Unique,
		"is_primary": ix.Primary,
	}
	putIf(body, "predicate", ix.Predicate)
	ref := cr.indexRef(schema, ix.Name)
	return entity.Entity{
		Ref:         ref,
		Name:        ix.Name,
		Partition:   cr.partition(schema),
		Description: map[string]any{"database": cr.db, "schema": schema},
		Links: []entity.Link{
			incoming(entity.RelER, table),
			incoming(entity.RelER, dbRef),
			incoming(entity.RelER, schemaRef),
		},
		ReportInterval: cr.interval,
		Body:           body,
	}
}

// function builds a function, procedure, aggregate or window function.
func (cr *crawler) function(f *functionRow, schemaRef entity.Ref) entity.Entity {
	return entity.Entity{
		Ref:            cr.functionRef(f),
		Name:           f.Name,
		Partition:      cr.partition(f.Schema),
		Description:    map[string]any{"database": cr.db, "schema": f.Schema},
		Links:          []entity.Link{incoming(entity.RelER, schemaRef)},
		ReportInterval: cr.interval,
		Body: map[string]any{
			"name":      f.Name,
			"signature": signature(f),
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
func (cr *crawler) constraints(tableID string, cols []columnRow, allCols map[uint32][]columnRow, cons []constraintRow) []any {
	out := make([]any, 0, len(cons))
	for _, c := range cons {
		sources := make([]any, 0, len(c.Keys))
		for i, attnum := range c.Keys {
			col, _ := column(cols, attnum)
			sources = append(sources, map[string]any{"name": col.Name, "type": col.Type, "position": int64(i + 1), "table": tableID})
		}
		typ, ok := constraintTypes[c.Kind]
		if !ok {
			typ = c.Kind
		}
		m := map[string]any{
			"name":    c.Name,
			"type":    typ,
			"sources": sources,
		}
		destinations := make([]any, 0, len(c.RefKeys))
		if c.Kind == "f" && c.RefSchema != nil && c.RefName != nil {
			refID := cr.id(*c.RefSchema, *c.RefName)
			refCols := allCols[c.RefOID]
			for i, attnum := range c.RefKeys {
				name := strconv.Itoa(int(attnum)) // referenced table outside the crawled schemas
				if col, ok := column(refCols, attnum); ok {
					name = col.Name
				}
				destinations = append(destinations, map[string]any{
					"name":     *c.RefSchema + "." + *c.RefName + "." + name,
					"type":     "",
					"position": int64(i + 1),
					"table":    refID,
				})
			}
			m["on_update"] = fkActions[c.OnUpdate]
			m["on_delete"] = fkActions[c.OnDelete]
		}
		m["destinations"] = destinations
		putIf(m, "definition", c.Definition)
		out = append(out, m)
	}
	return out
}

// column finds a column by number in a relation's columns (ordered by
// number).
func column(cols []columnRow, attnum int16) (columnRow, bool) {
	i, ok := slices.BinarySearchFunc(cols, attnum, func(c columnRow, n int16) int { return int(c.Position) - int(n) })
	if !ok {
		return columnRow{}, false
	}
	return cols[i], true
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
