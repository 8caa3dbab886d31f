package mariadbreceiver

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Element types, as the original agent named them (it used them for
// MySQL too); triggers are new.
const (
	typeDatabase  = "mariadb.database"
	typeTable     = "mariadb.table"
	typeIndex     = "mariadb.index"
	typeView      = "mariadb.view"
	typeFunction  = "mariadb.function"
	typeProcedure = "mariadb.procedure"
	typeTrigger   = "mariadb.trigger"
)

// Constraint types inside a table's body, in the order they are listed.
const (
	constraintPrimary = "mariadb.primary_key"
	constraintUnique  = "mariadb.unique"
	constraintForeign = "mariadb.foreign_key"
	constraintCheck   = "mariadb.check"
)

var constraintOrder = map[string]int{constraintPrimary: 0, constraintUnique: 1, constraintForeign: 2, constraintCheck: 3}

// primaryKey is the name MariaDB and MySQL give every primary key.
const primaryKey = "PRIMARY"

// tableKey names a table or view.
type tableKey struct{ schema, name string }

// schemaModel is one schema's objects, grouped and sorted by name.
type schemaModel struct {
	schemaRow
	tables   []*tableModel
	views    []*viewModel
	routines []*routineModel
}

type tableModel struct {
	tableRow
	columns     []columnRow
	indexes     []*indexModel
	constraints []*constraintModel
	triggers    []triggerRow
}

type indexModel struct {
	name  string
	parts []indexRow
}

type constraintModel struct {
	name, typ string
	columns   []keyColumnRow
	// Foreign keys only.
	onUpdate, onDelete string
	// Check constraints only.
	clause string
}

type viewModel struct {
	tableRow
	viewRow
	columns []columnRow
}

type routineModel struct {
	routineRow
	params []parameterRow
}

// model groups one crawl's catalog rows by schema. Rows of objects that
// are not in the crawled schemas, or whose table is gone (the queries do
// not share a snapshot), are dropped.
type model struct {
	schemas  []*schemaModel
	bySchema map[string]*schemaModel
}

func buildModel(cat *catalog) *model {
	m := &model{bySchema: make(map[string]*schemaModel, len(cat.Schemas))}
	for _, s := range cat.Schemas {
		sm := &schemaModel{schemaRow: s}
		m.schemas = append(m.schemas, sm)
		m.bySchema[s.Name] = sm
	}
	slices.SortFunc(m.schemas, func(a, b *schemaModel) int { return strings.Compare(a.Name, b.Name) })

	tables := make(map[tableKey]*tableModel, len(cat.Tables))
	views := map[tableKey]*viewModel{}
	for _, t := range cat.Tables {
		sm := m.bySchema[t.Schema]
		if sm == nil {
			continue
		}
		key := tableKey{t.Schema, t.Name}
		switch t.Type {
		case "BASE TABLE", "SYSTEM VERSIONED":
			tm := &tableModel{tableRow: t}
			tables[key] = tm
			sm.tables = append(sm.tables, tm)
		case "VIEW":
			vm := &viewModel{tableRow: t}
			views[key] = vm
			sm.views = append(sm.views, vm)
		}
		// SEQUENCE, TEMPORARY and SYSTEM VIEW are not crawled.
	}

	for _, c := range cat.Columns {
		key := tableKey{c.Schema, c.Table}
		if tm := tables[key]; tm != nil {
			tm.columns = append(tm.columns, c)
		} else if vm := views[key]; vm != nil {
			vm.columns = append(vm.columns, c)
		}
	}

	indexes := map[tableKey]map[string]*indexModel{}
	for _, ix := range cat.Indexes {
		key := tableKey{ix.Schema, ix.Table}
		tm := tables[key]
		if tm == nil {
			continue
		}
		byName := indexes[key]
		if byName == nil {
			byName = map[string]*indexModel{}
			indexes[key] = byName
		}
		im := byName[ix.Name]
		if im == nil {
			im = &indexModel{name: ix.Name}
			byName[ix.Name] = im
			tm.indexes = append(tm.indexes, im)
		}
		im.parts = append(im.parts, ix)
	}

	type constraintKey struct {
		table tableKey
		name  string
	}
	constraints := map[constraintKey]*constraintModel{}
	for _, k := range cat.KeyColumns {
		tk := tableKey{k.Schema, k.Table}
		tm := tables[tk]
		if tm == nil {
			continue
		}
		ck := constraintKey{tk, k.Constraint}
		cm := constraints[ck]
		if cm == nil {
			typ := constraintUnique
			switch {
			case k.Constraint == primaryKey:
				typ = constraintPrimary
			case k.RefTable.Valid:
				typ = constraintForeign
			}
			cm = &constraintModel{name: k.Constraint, typ: typ}
			constraints[ck] = cm
			tm.constraints = append(tm.constraints, cm)
		}
		cm.columns = append(cm.columns, k)
	}
	for _, rc := range cat.Referential {
		if cm := constraints[constraintKey{tableKey{rc.Schema, rc.Table}, rc.Constraint}]; cm != nil {
			cm.onUpdate, cm.onDelete = strings.ToLower(rc.OnUpdate), strings.ToLower(rc.OnDelete)
		}
	}
	for _, c := range cat.Checks {
		if tm := tables[tableKey{c.Schema, c.Table}]; tm != nil {
			tm.constraints = append(tm.constraints, &constraintModel{name: c.Name, typ: constraintCheck, clause: c.Clause})
		}
	}

	for _, v := range cat.Views {
		if vm := views[tableKey{v.Schema, v.Name}]; vm != nil {
			vm.viewRow = v
		}
	}

	type routineKey struct{ schema, typ, name string }
	routines := map[routineKey]*routineModel{}
	for _, r := range cat.Routines {
		sm := m.bySchema[r.Schema]
		if sm == nil {
			continue
		}
		rm := &routineModel{routineRow: r}
		routines[routineKey{r.Schema, r.Type, r.Name}] = rm
		sm.routines = append(sm.routines, rm)
	}
	for _, p := range cat.Parameters {
		if rm := routines[routineKey{p.Schema, p.RoutineType, p.Routine}]; rm != nil {
			rm.params = append(rm.params, p)
		}
	}

	for _, t := range cat.Triggers {
		if tm := tables[tableKey{t.Schema, t.Table}]; tm != nil {
			tm.triggers = append(tm.triggers, t)
		}
	}

	for _, sm := range m.schemas {
		slices.SortFunc(sm.tables, func(a, b *tableModel) int { return strings.Compare(a.Name, b.Name) })
		slices.SortFunc(sm.views, func(a, b *viewModel) int { return strings.Compare(a.tableRow.Name, b.tableRow.Name) })
		slices.SortFunc(sm.routines, func(a, b *routineModel) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Type, b.Type))
		})
		for _, tm := range sm.tables {
			tm.sort()
		}
		for _, vm := range sm.views {
			slices.SortFunc(vm.columns, func(a, b columnRow) int { return cmp.Compare(a.Position, b.Position) })
		}
		for _, rm := range sm.routines {
			slices.SortFunc(rm.params, func(a, b parameterRow) int { return cmp.Compare(a.Position, b.Position) })
		}
	}
	return m
}

// sort orders a table's parts: columns by position, the primary key first
// then indexes by name, constraints by type then name, triggers by name.
func (tm *tableModel) sort() {
	slices.SortFunc(tm.columns, func(a, b columnRow) int { return cmp.Compare(a.Position, b.Position) })
	slices.SortFunc(tm.indexes, func(a, b *indexModel) int {
		return cmp.Or(cmp.Compare(indexRank(a.name), indexRank(b.name)), strings.Compare(a.name, b.name))
	})
	for _, im := range tm.indexes {
		slices.SortFunc(im.parts, func(a, b indexRow) int { return cmp.Compare(a.Seq, b.Seq) })
	}
	slices.SortFunc(tm.constraints, func(a, b *constraintModel) int {
		return cmp.Or(cmp.Compare(constraintOrder[a.typ], constraintOrder[b.typ]), strings.Compare(a.name, b.name))
	})
	for _, cm := range tm.constraints {
		slices.SortFunc(cm.columns, func(a, b keyColumnRow) int { return cmp.Compare(a.Position, b.Position) })
	}
	slices.SortFunc(tm.triggers, func(a, b triggerRow) int { return strings.Compare(a.Name, b.Name) })
}

// indexRank puts the primary key first.
func indexRank(name string) int {
	if name == primaryKey {
		return 0
	}
	return 1
}

// crawler turns the model into entities.
type crawler struct {
	scope string
	// host and port of the server.
	host string
	port int64
	// mapping is the resolved mapping_internal_id; its ID is "" when unset.
	mapping  internalid.Mapped
	interval time.Duration
	server   serverInfo
	// tables finds a crawled table by name, to describe the columns a
	// foreign key references in another schema.
	tables map[tableKey]*tableModel
}

func newCrawler(scope, host string, port int64, mapping internalid.Mapped, interval time.Duration, server serverInfo, m *model) *crawler {
	tables := map[tableKey]*tableModel{}
	for _, sm := range m.schemas {
		for _, tm := range sm.tables {
			tables[tableKey{tm.Schema, tm.Name}] = tm
		}
	}
	return &crawler{scope: scope, host: host, port: port, mapping: mapping, interval: interval, server: server, tables: tables}
}

// partition is the crawl_internal_id of a schema's elements: the schema
// name, as the agent sent them.
func partition(schema string) string { return schema }

func (cr *crawler) databaseRef(schema string) entity.Ref {
	return entity.Ref{Type: typeDatabase, InternalID: internalid.MariaDBSchema(cr.scope, schema)}
}

func (cr *crawler) tableRef(schema, name string) entity.Ref {
	return entity.Ref{Type: typeTable, InternalID: internalid.MariaDB(cr.scope, schema, name)}
}

func (cr *crawler) viewRef(schema, name string) entity.Ref {
	return entity.Ref{Type: typeView, InternalID: internalid.MariaDB(cr.scope, schema, name)}
}

// indexRef: index names are only unique per table, so the ID holds the
// table (the agent gave every primary key the same ID).
func (cr *crawler) indexRef(schema, table, name string) entity.Ref {
	return entity.Ref{Type: typeIndex, InternalID: internalid.MariaDBIndex(cr.scope, schema, table, name)}
}

func (cr *crawler) routineRef(r *routineModel) entity.Ref {
	typ := typeFunction
	if r.Type == "PROCEDURE" {
		typ = typeProcedure
	}
	return entity.Ref{Type: typ, InternalID: internalid.MariaDB(cr.scope, r.Schema, r.Name)}
}

// triggerRef: trigger names are unique per schema.
func (cr *crawler) triggerRef(schema, name string) entity.Ref {
	return entity.Ref{Type: typeTrigger, InternalID: internalid.MariaDB(cr.scope, schema, name)}
}

// keys lists what entities would emit for a schema, without building them,
// so that deletes can be decided before the states are streamed.
func (cr *crawler) keys(sm *schemaModel) entity.Set {
	keys := make(entity.Set, 1+3*len(sm.tables)+len(sm.views)+len(sm.routines))
	add := keys.Add
	add(cr.databaseRef(sm.Name))
	for _, tm := range sm.tables {
		add(cr.tableRef(tm.Schema, tm.Name))
		for _, im := range tm.indexes {
			add(cr.indexRef(tm.Schema, tm.Name, im.name))
		}
		for _, tr := range tm.triggers {
			add(cr.triggerRef(tr.Schema, tr.Name))
		}
	}
	for _, vm := range sm.views {
		add(cr.viewRef(vm.tableRow.Schema, vm.tableRow.Name))
	}
	for _, rm := range sm.routines {
		add(cr.routineRef(rm))
	}
	return keys
}

// entities emits every entity of a schema: the database element, each
// table followed by its indexes and triggers, the views, the routines. It
// stops at the first error emit returns.
func (cr *crawler) entities(sm *schemaModel, emit func(entity.Entity) error) error {
	dbRef := cr.databaseRef(sm.Name)
	if err := emit(cr.database(sm, dbRef)); err != nil {
		return err
	}
	for _, tm := range sm.tables {
		ref := cr.tableRef(tm.Schema, tm.Name)
		if err := emit(cr.table(tm, ref, dbRef)); err != nil {
			return err
		}
		for _, im := range tm.indexes {
			if err := emit(cr.index(tm, im, ref)); err != nil {
				return err
			}
		}
		for i := range tm.triggers {
			if err := emit(cr.trigger(&tm.triggers[i], ref)); err != nil {
				return err
			}
		}
	}
	for _, vm := range sm.views {
		if err := emit(cr.view(vm, dbRef)); err != nil {
			return err
		}
	}
	for _, rm := range sm.routines {
		if err := emit(cr.routine(rm, dbRef)); err != nil {
			return err
		}
	}
	return nil
}

func (cr *crawler) description(schema string) map[string]any {
	return map[string]any{"schema": schema}
}

// database builds a schema's element: the agent's database (it crawled one
// schema, its db_name).
func (cr *crawler) database(sm *schemaModel, ref entity.Ref) entity.Entity {
	tables, views, functions, procedures, triggers := []any{}, []any{}, []any{}, []any{}, []any{}
	for _, tm := range sm.tables {
		tables = append(tables, tm.Name)
		for _, tr := range tm.triggers {
			triggers = append(triggers, tr.Name)
		}
	}
	for _, vm := range sm.views {
		views = append(views, vm.tableRow.Name)
	}
	for _, rm := range sm.routines {
		if rm.Type == "PROCEDURE" {
			procedures = append(procedures, rm.Name)
		} else {
			functions = append(functions, rm.Name)
		}
	}
	slices.SortFunc(triggers, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	e := entity.Entity{
		Ref:            ref,
		Name:           sm.Name,
		Partition:      partition(sm.Name),
		Description:    cr.description(sm.Name),
		ReportInterval: cr.interval,
		Body: map[string]any{
			"db_name":        sm.Name,
			"db_host":        cr.host,
			"schemas":        []any{},
			"db_port":        cr.port,
			"character_set":  sm.Charset,
			"collation":      sm.Collation,
			"server_version": cr.server.Version,
			"server_flavor":  cr.server.Flavor,
			"tables":         tables,
			"views":          views,
			"functions":      functions,
			"procedures":     procedures,
			"triggers":       triggers,
		},
	}
	if cr.mapping.ID != "" {
		e.Links = []entity.Link{{
			Type:      entity.RelParentChild,
			Direction: entity.Incoming,
			External:  true,
			Target:    entity.Ref{Type: cr.mapping.Type, InternalID: cr.mapping.ID},
		}}
	}
	return e
}

// table builds a table in the agent's shape: columns, constraints, schema
// and the internal IDs of its indexes.
func (cr *crawler) table(tm *tableModel, ref, dbRef entity.Ref) entity.Entity {
	indexes := make([]any, 0, len(tm.indexes))
	for _, im := range tm.indexes {
		indexes = append(indexes, cr.indexRef(tm.Schema, tm.Name, im.name).InternalID)
	}
	triggers := make([]any, 0, len(tm.triggers))
	for _, tr := range tm.triggers {
		triggers = append(triggers, tr.Name)
	}
	body := map[string]any{
		"name":        tm.Name,
		"columns":     cr.columns(ref.InternalID, tm.columns),
		"constraints": cr.constraints(tm, ref.InternalID),
		"schema":      tm.Schema,
		"indexes":     indexes,
		"table_type":  tm.Type,
		"engine":      tm.Engine,
		"collation":   tm.Collation,
		"triggers":    triggers,
	}
	if tm.Notes != "" {
		body["comment"] = tm.Notes
	}
	links := []entity.Link{incoming(entity.RelER, dbRef)}
	// Foreign keys: one edge per referenced table, carried by the
	// referencing table.
	seen := map[string]bool{}
	for _, cm := range tm.constraints {
		if cm.typ != constraintForeign {
			continue
		}
		k := cm.columns[0]
		target := cr.tableRef(k.RefSchema.String, k.RefTable.String)
		if seen[target.InternalID] {
			continue
		}
		seen[target.InternalID] = true
		links = append(links, entity.Link{Type: entity.RelER, Direction: entity.Outgoing, Target: target})
	}
	return entity.Entity{
		Ref:            ref,
		Name:           tm.Name,
		Partition:      partition(tm.Schema),
		Description:    cr.description(tm.Schema),
		Links:          links,
		ReportInterval: cr.interval,
		Body:           body,
	}
}

func (cr *crawler) index(tm *tableModel, im *indexModel, table entity.Ref) entity.Entity {
	columns := make([]any, 0, len(im.parts))
	for _, p := range im.parts {
		col := map[string]any{
			"name":     p.Column,
			"type":     columnType(tm.columns, p.Column),
			"position": p.Seq,
			"table":    table.InternalID,
		}
		if p.SubPart.Valid {
			col["length"] = p.SubPart.Int64
		}
		columns = append(columns, col)
	}
	first := im.parts[0]
	body := map[string]any{
		"name":       im.name,
		"columns":    columns,
		"table":      table.InternalID,
		"schema":     tm.Schema,
		"method":     first.Method,
		"is_unique":  first.NonUnique == 0,
		"is_primary": im.name == primaryKey,
	}
	if first.Comment != "" {
		body["comment"] = first.Comment
	}
	desc := cr.description(tm.Schema)
	desc["table"] = tm.Name
	return entity.Entity{
		Ref:            cr.indexRef(tm.Schema, tm.Name, im.name),
		Name:           im.name,
		Partition:      partition(tm.Schema),
		Description:    desc,
		Links:          []entity.Link{incoming(entity.RelER, table)},
		ReportInterval: cr.interval,
		Body:           body,
	}
}

func (cr *crawler) trigger(tr *triggerRow, table entity.Ref) entity.Entity {
	desc := cr.description(tr.Schema)
	desc["table"] = tr.Table
	return entity.Entity{
		Ref:            cr.triggerRef(tr.Schema, tr.Name),
		Name:           tr.Name,
		Partition:      partition(tr.Schema),
		Description:    desc,
		Links:          []entity.Link{incoming(entity.RelER, table)},
		ReportInterval: cr.interval,
		Body: map[string]any{
			"name":         tr.Name,
			"schema":       tr.Schema,
			"table":        table.InternalID,
			"timing":       tr.Timing,
			"event":        tr.Event,
			"action_order": tr.Order,
			"statement":    tr.Statement,
			"definer":      tr.Definer,
		},
	}
}

// view builds a view: the agent's View fields (name, generate_query) plus
// its columns.
func (cr *crawler) view(vm *viewModel, dbRef entity.Ref) entity.Entity {
	ref := cr.viewRef(vm.tableRow.Schema, vm.tableRow.Name)
	return entity.Entity{
		Ref:            ref,
		Name:           vm.tableRow.Name,
		Partition:      partition(vm.tableRow.Schema),
		Description:    cr.description(vm.tableRow.Schema),
		Links:          []entity.Link{incoming(entity.RelER, dbRef)},
		ReportInterval: cr.interval,
		Body: map[string]any{
			"name":           vm.tableRow.Name,
			"generate_query": vm.Definition,
			"columns":        cr.columns(ref.InternalID, vm.columns),
			"schema":         vm.tableRow.Schema,
			"check_option":   vm.CheckOption,
			"is_updatable":   vm.Updatable == "YES",
			"definer":        vm.Definer,
			"security_type":  vm.Security,
		},
	}
}

// routine builds a function or procedure.
func (cr *crawler) routine(rm *routineModel, dbRef entity.Ref) entity.Entity {
	args := make([]string, 0, len(rm.params))
	for _, p := range rm.params {
		if p.Position == 0 { // a function's result
			continue
		}
		arg := p.Name + " " + p.Type
		if rm.Type == "PROCEDURE" && p.Mode != "" {
			arg = p.Mode + " " + arg
		}
		args = append(args, arg)
	}
	arguments := strings.Join(args, ", ")
	kind := strings.ToLower(rm.Type)
	body := map[string]any{
		"name":             rm.Name,
		"schema":           rm.Schema,
		"kind":             kind,
		"signature":        rm.Name + "(" + arguments + ")",
		"arguments":        arguments,
		"result":           rm.Returns,
		"language":         rm.Language,
		"is_deterministic": rm.Deterministic == "YES",
		"sql_data_access":  rm.DataAccess,
		"security_type":    rm.Security,
		"definer":          rm.Definer,
	}
	if rm.Comment != "" {
		body["comment"] = rm.Comment
	}
	return entity.Entity{
		Ref:            cr.routineRef(rm),
		Name:           rm.Name,
		Partition:      partition(rm.Schema),
		Description:    cr.description(rm.Schema),
		Links:          []entity.Link{incoming(entity.RelER, dbRef)},
		ReportInterval: cr.interval,
		Body:           body,
	}
}

// columns lists a table's or view's columns in the agent's shape.
func (cr *crawler) columns(ownerID string, cols []columnRow) []any {
	out := make([]any, 0, len(cols))
	for _, c := range cols {
		m := map[string]any{
			"name":     c.Name,
			"type":     c.Type,
			"position": c.Position,
			"table":    ownerID,
			"nullable": c.Nullable == "YES",
		}
		if c.Default.Valid {
			m["default"] = c.Default.String
		}
		if c.Extra != "" {
			m["extra"] = c.Extra
		}
		if c.Comment != "" {
			m["comment"] = c.Comment
		}
		out = append(out, m)
	}
	return out
}

// constraints lists a table's constraints in the agent's shape: sources
// are the table's columns, destinations (foreign keys only) the referenced
// columns, in key order.
func (cr *crawler) constraints(tm *tableModel, tableID string) []any {
	out := make([]any, 0, len(tm.constraints))
	for _, cm := range tm.constraints {
		sources := make([]any, 0, len(cm.columns))
		destinations := make([]any, 0)
		for _, k := range cm.columns {
			sources = append(sources, map[string]any{
				"name":     k.Column,
				"type":     columnType(tm.columns, k.Column),
				"position": k.Position,
				"table":    tableID,
			})
			if cm.typ == constraintForeign {
				refType := ""
				if ref := cr.tables[tableKey{k.RefSchema.String, k.RefTable.String}]; ref != nil {
					refType = columnType(ref.columns, k.RefColumn.String)
				}
				destinations = append(destinations, map[string]any{
					"name":     k.RefColumn.String,
					"type":     refType,
					"position": k.Position,
					"table":    cr.tableRef(k.RefSchema.String, k.RefTable.String).InternalID,
				})
			}
		}
		m := map[string]any{
			"name":         cm.name,
			"type":         cm.typ,
			"sources":      sources,
			"destinations": destinations,
		}
		switch cm.typ {
		case constraintForeign:
			m["on_update"] = cm.onUpdate
			m["on_delete"] = cm.onDelete
		case constraintCheck:
			m["definition"] = cm.clause
		}
		out = append(out, m)
	}
	return out
}

// columnType is the type of a named column, "" when unknown.
func columnType(cols []columnRow, name string) string {
	for i := range cols {
		if cols[i].Name == name {
			return cols[i].Type
		}
	}
	return ""
}

func incoming(typ string, from entity.Ref) entity.Link {
	return entity.Link{Type: typ, Direction: entity.Incoming, Target: from}
}
