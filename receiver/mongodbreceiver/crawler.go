package mongodbreceiver

import (
	"slices"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Element types, as the original agent named them (mongodb.view is new).
const (
	typeDatabase   = "mongodb.database"
	typeCollection = "mongodb.collection"
	typeIndex      = "mongodb.index"
	typeView       = "mongodb.view"
)

// Constraint types inside a collection's body, as the original agent named
// them.
const (
	constraintPrimaryKey = "mongodb.primary_key"
	constraintForeignKey = "mongodb.foreign_key"
	constraintUnique     = "mongodb.unique"
)

// idIndex is the name of the index every collection has on _id.
const idIndex = "_id_"

// dbCatalog is what one database's crawl read.
type dbCatalog struct {
	Collections []collectionInfo
}

// crawler turns one database's catalog into entities.
type crawler struct {
	scope, db string
	// host is the seed list (db_host); addresses are the seeds the
	// database entity answers on (none for a mongodb+srv:// name).
	host      string
	addresses []string
	interval  time.Duration
}

func (cr *crawler) partition() string { return cr.db }

func (cr *crawler) databaseRef() entity.Ref {
	return entity.Ref{Type: typeDatabase, InternalID: internalid.MongoDatabase(cr.scope, cr.db)}
}

// collectionRef points at a collection or a view: both live in the
// database's one namespace.
func (cr *crawler) collectionRef(c *collectionInfo) entity.Ref {
	typ := typeCollection
	if c.Kind == kindView {
		typ = typeView
	}
	return entity.Ref{Type: typ, InternalID: internalid.MongoCollection(cr.scope, cr.db, c.Name)}
}

func (cr *crawler) indexRef(coll, index string) entity.Ref {
	return entity.Ref{Type: typeIndex, InternalID: internalid.MongoIndex(cr.scope, cr.db, coll, index)}
}

// qualified is `<db>.<collection>`, the original agent's collection name.
func (cr *crawler) qualified(coll string) string { return cr.db + "." + coll }

// keys lists what entities would emit, without building them, so that
// deletes can be decided before the states are streamed into the batch.
func (cr *crawler) keys(cat *dbCatalog) entity.Set {
	keys := make(entity.Set, 1+2*len(cat.Collections))
	add := keys.Add
	add(cr.databaseRef())
	for i := range cat.Collections {
		c := &cat.Collections[i]
		add(cr.collectionRef(c))
		for _, ix := range c.Indexes {
			add(cr.indexRef(c.Name, ix.Name))
		}
	}
	return keys
}

// entities emits every entity of the database: the database, then each
// collection followed by its indexes, then each view, in name order. It
// stops at the first error emit returns.
func (cr *crawler) entities(cat *dbCatalog, emit func(entity.Entity) error) error {
	dbRef := cr.databaseRef()
	colls := slices.Clone(cat.Collections)
	slices.SortFunc(colls, func(a, b collectionInfo) int { return strings.Compare(a.Name, b.Name) })
	byName := make(map[string]*collectionInfo, len(colls))
	collections, views := []any{}, []any{}
	for i := range colls {
		c := &colls[i]
		byName[c.Name] = c
		if c.Kind == kindView {
			views = append(views, c.Name)
		} else {
			collections = append(collections, c.Name)
		}
	}
	refs := referenceIndex(colls)
	if err := emit(entity.Entity{
		Ref:            dbRef,
		Name:           cr.db,
		Partition:      cr.partition(),
		Description:    map[string]any{"database": cr.db},
		Addresses:      cr.addresses,
		ReportInterval: cr.interval,
		Body: map[string]any{
			"db_name":     cr.db,
			"db_host":     cr.host,
			"schemas":     []any{},
			"collections": collections,
			"views":       views,
		},
	}); err != nil {
		return err
	}
	for i := range colls {
		c := &colls[i]
		if c.Kind == kindView {
			continue
		}
		ref := cr.collectionRef(c)
		if err := emit(cr.collection(c, ref, dbRef, refs)); err != nil {
			return err
		}
		for _, ix := range c.Indexes {
			if err := emit(cr.index(c, ix, ref)); err != nil {
				return err
			}
		}
	}
	for i := range colls {
		if c := &colls[i]; c.Kind == kindView {
			if err := emit(cr.view(c, dbRef, byName)); err != nil {
				return err
			}
		}
	}
	return nil
}

// collection builds a collection (or time series) in the original agent's
// shape (database.Table: name, columns, constraints, schema, indexes).
func (cr *crawler) collection(c *collectionInfo, ref, dbRef entity.Ref, refs map[string]string) entity.Entity {
	table := cr.qualified(c.Name)
	indexes := make([]any, 0, len(c.Indexes))
	for _, ix := range c.Indexes {
		indexes = append(indexes, c.Name+"."+ix.Name)
	}
	body := map[string]any{
		"name":              table,
		"collection":        c.Name,
		"schema":            cr.db,
		"kind":              c.Kind,
		"columns":           cr.columns(table, c.Fields),
		"constraints":       cr.constraints(c, table, refs),
		"indexes":           indexes,
		"sampled_documents": int64(c.Sampled),
	}
	putStr(body, "uuid", c.UUID)
	if c.ReadOnly {
		body["read_only"] = true
	}
	if c.Validator != nil {
		body["validator"] = c.Validator
	}
	putStr(body, "validation_level", c.ValidationLevel)
	putStr(body, "validation_action", c.ValidationAction)
	if len(c.Options) > 0 {
		body["options"] = c.Options
	}
	return entity.Entity{
		Ref:            ref,
		Name:           table,
		Partition:      cr.partition(),
		Description:    map[string]any{"database": cr.db, "collection": c.Name},
		Links:          []entity.Link{incoming(entity.RelParentChild, dbRef)},
		ReportInterval: cr.interval,
		Body:           body,
	}
}

// columns lists the sampled fields (sorted by name) in the agent's column
// shape; a field seen with several types has them joined by "|".
func (cr *crawler) columns(table string, fields []fieldInfo) []any {
	out := make([]any, 0, len(fields))
	for _, f := range fields {
		out = append(out, column(f.Name, strings.Join(f.Types, "|"), -1, table))
	}
	return out
}

func column(name, typ string, position int64, table string) map[string]any {
	return map[string]any{"name": name, "type": typ, "position": position, "table": table}
}

// constraints: the primary key on _id, a unique constraint per unique
// index, and foreign keys inferred as the agent did: an ObjectId field
// named after another collection of the database (user_id, userId or
// user → users).
func (cr *crawler) constraints(c *collectionInfo, table string, refs map[string]string) []any {
	out := []any{}
	types := make(map[string][]string, len(c.Fields))
	for _, f := range c.Fields {
		types[f.Name] = f.Types
	}
	for _, ix := range c.Indexes {
		if ix.Name == idIndex {
			out = append(out, map[string]any{
				"name":         "_id",
				"type":         constraintPrimaryKey,
				"sources":      []any{column("_id", strings.Join(types["_id"], "|"), 1, table)},
				"destinations": []any{},
			})
		}
	}
	for _, ix := range c.Indexes {
		if !ix.Unique || ix.Name == idIndex {
			continue
		}
		sources := make([]any, 0, len(ix.Keys))
		for i, k := range ix.Keys {
			sources = append(sources, column(k.Field, strings.Join(types[k.Field], "|"), int64(i+1), table))
		}
		out = append(out, map[string]any{
			"name":         ix.Name,
			"type":         constraintUnique,
			"sources":      sources,
			"destinations": []any{},
		})
	}
	for _, f := range c.Fields {
		if f.Name == "_id" || !slices.Contains(f.Types, "objectId") {
			continue
		}
		target := referencedCollection(f.Name, refs)
		if target == "" {
			continue
		}
		out = append(out, map[string]any{
			"name":         f.Name,
			"type":         constraintForeignKey,
			"sources":      []any{column(f.Name, "objectId", 1, table)},
			"destinations": []any{column(cr.qualified(target)+"._id", "objectId", 1, cr.qualified(target))},
		})
	}
	return out
}

// referenceIndex maps the lower-cased names of a database's collections
// (views excluded) to their names; among names that differ only in case,
// the first by name wins, for a stable result.
func referenceIndex(colls []collectionInfo) map[string]string {
	idx := make(map[string]string, len(colls))
	for i := range colls {
		c := &colls[i]
		if c.Kind == kindView {
			continue
		}
		lower := strings.ToLower(c.Name)
		if prev, ok := idx[lower]; !ok || c.Name < prev {
			idx[lower] = c.Name
		}
	}
	return idx
}

// referencedCollection finds the collection an ObjectId field refers to by
// its name: user_id, userId, userID and user all look for user, users,
// useres and (for a name ending in y) …ies, ignoring case.
func referencedCollection(field string, refs map[string]string) string {
	base := strings.ToLower(field)
	for _, suffix := range []string{"_id", "id"} {
		if len(base) > len(suffix) && strings.HasSuffix(base, suffix) {
			base = strings.TrimSuffix(base, suffix)
			break
		}
	}
	base = strings.TrimRight(base, "_")
	if base == "" {
		return ""
	}
	candidates := []string{base, base + "s", base + "es"}
	if strings.HasSuffix(base, "y") {
		candidates = append(candidates, strings.TrimSuffix(base, "y")+"ies")
	}
	for _, c := range candidates {
		if name, ok := refs[c]; ok {
			return name
		}
	}
	return ""
}

// index builds an index in the agent's shape (database.Index: name
// `<collection>.<index>`, columns, table `<db>.<collection>`, schema).
func (cr *crawler) index(c *collectionInfo, ix indexInfo, collRef entity.Ref) entity.Entity {
	table := cr.qualified(c.Name)
	columns := make([]any, 0, len(ix.Keys))
	for i, k := range ix.Keys {
		// The key's type is the field's, as sampled ("" when not seen).
		typ := ""
		if j := slices.IndexFunc(c.Fields, func(f fieldInfo) bool { return f.Name == k.Field }); j >= 0 {
			typ = strings.Join(c.Fields[j].Types, "|")
		}
		col := column(k.Field, typ, int64(i+1), table)
		col["order"] = k.Order
		columns = append(columns, col)
	}
	name := c.Name + "." + ix.Name
	body := map[string]any{
		"name":       name,
		"index_name": ix.Name,
		"columns":    columns,
		"table":      table,
		"schema":     cr.db,
		"unique":     ix.Unique || ix.Name == idIndex,
	}
	if len(ix.Options) > 0 {
		body["options"] = ix.Options
	}
	return entity.Entity{
		Ref:            cr.indexRef(c.Name, ix.Name),
		Name:           name,
		Partition:      cr.partition(),
		Description:    map[string]any{"database": cr.db, "collection": c.Name},
		Links:          []entity.Link{incoming(entity.RelParentChild, collRef)},
		ReportInterval: cr.interval,
		Body:           body,
	}
}

// view builds a view: a child of its database that refers to the
// collection (or view) it reads from.
func (cr *crawler) view(c *collectionInfo, dbRef entity.Ref, byName map[string]*collectionInfo) entity.Entity {
	name := cr.qualified(c.Name)
	body := map[string]any{
		"name":           name,
		"view":           c.Name,
		"schema":         cr.db,
		"view_on":        c.ViewOn,
		"generate_query": c.PipelineJSON,
		"pipeline":       c.Pipeline,
	}
	if c.Pipeline == nil {
		body["pipeline"] = []any{}
	}
	if len(c.Options) > 0 {
		body["options"] = c.Options
	}
	links := []entity.Link{incoming(entity.RelParentChild, dbRef)}
	if c.ViewOn != "" {
		src := &collectionInfo{Name: c.ViewOn, Kind: kindCollection}
		if s, ok := byName[c.ViewOn]; ok {
			src = s
		}
		// The view depends on its source: view → source, carried by the
		// view so that the edge goes away with it.
		links = append(links, entity.Link{Type: entity.RelER, Direction: entity.Outgoing, Target: cr.collectionRef(src)})
	}
	return entity.Entity{
		Ref:            cr.collectionRef(c),
		Name:           name,
		Partition:      cr.partition(),
		Description:    map[string]any{"database": cr.db, "view": c.Name},
		Links:          links,
		ReportInterval: cr.interval,
		Body:           body,
	}
}

func incoming(typ string, from entity.Ref) entity.Link {
	return entity.Link{Type: typ, Direction: entity.Incoming, Target: from}
}

func putStr(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}
