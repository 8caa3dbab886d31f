package kubernetesreceiver

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// clusterPartition is the crawl_internal_id of cluster-wide objects (nodes,
// volumes, storage classes, their label elements, cluster-wide custom
// resources). Namespaced objects, and namespaces themselves, travel under
// <namespace>.kubernetes.namespace as with the original agent.
const clusterPartition = "kubernetes.cluster"

// resend marks an emitted entity whose state must be sent again (full
// report, or a batch the next consumer refused).
const resend uint64 = 0

// entityKey identifies an entity: its element type, namespace ("" for
// cluster-wide objects) and name (the label value for label elements).
type entityKey struct{ typ, ns, name string }

func compareKeys(a, b entityKey) int {
	return cmp.Or(strings.Compare(a.ns, b.ns), strings.Compare(a.typ, b.typ), strings.Compare(a.name, b.name))
}

// object is one watched Kubernetes object. obj is the informer's own
// (transformed) object, shared with its cache and never written.
type object struct {
	res *resource
	obj *kobject
	// The label pseudo-elements the object carries, and their edges.
	labelElems []entityKey
	labelEdges []labelEdge
}

// labelElem is a label pseudo-element: alive while objects carry it.
type labelElem struct {
	carriers int
	// from counts, per label element, the carried edges that point here.
	from map[entityKey]int
}

type nsType struct{ ns, typ string }

// graph holds what every record is computed from: the objects, the label
// elements they make, the indexes the selector-based relationships need,
// and the hash of what was last emitted for each entity. It is not safe for
// concurrent use.
type graph struct {
	scope          string
	mappings       *mapping.Table
	reportInterval time.Duration
	// dynamicKinds are the kinds of resources found by discovery.
	dynamicKinds map[schema.GroupKind]*resource

	objects map[entityKey]*object
	// byNS indexes pods, services, stateful sets and claims by namespace.
	byNS map[nsType]map[string]*object
	// selectors indexes services by namespace and by each key=value of
	// their selector.
	selectors map[string]map[string][]*object
	labels    map[entityKey]*labelElem

	emitted map[entityKey]uint64
	dirty   map[entityKey]struct{}
}

func newGraph(scope string, mappings *mapping.Table, reportInterval time.Duration) *graph {
	return &graph{
		scope:          scope,
		mappings:       mappings,
		reportInterval: reportInterval,
		dynamicKinds:   map[schema.GroupKind]*resource{},
		objects:        map[entityKey]*object{},
		byNS:           map[nsType]map[string]*object{},
		selectors:      map[string]map[string][]*object{},
		labels:         map[entityKey]*labelElem{},
		emitted:        map[entityKey]uint64{},
		dirty:          map[entityKey]struct{}{},
	}
}

// indexed are the types whose objects other objects' relationships look up.
func indexed(typ string) bool {
	switch typ {
	case typePod, typeService, typeStatefulSet, typePVC:
		return true
	}
	return false
}

func keyOf(res *resource, m metav1.Object) entityKey {
	ns := ""
	if res.namespaced {
		ns = m.GetNamespace()
	}
	return entityKey{typ: res.elemType, ns: ns, name: m.GetName()}
}

// labelNamespace is the namespace segment of the label elements of an
// object: its namespace, a namespace's own name, "" for the rest.
func labelNamespace(res *resource, m metav1.Object) string {
	switch {
	case res.namespaced:
		return m.GetNamespace()
	case res.elemType == typeNamespace:
		return m.GetName()
	}
	return ""
}

// upsert records an added or updated object.
func (g *graph) upsert(res *resource, obj *kobject) {
	k := keyOf(res, obj)
	old := g.objects[k]
	if old != nil && old.obj == obj {
		return // a resync of the same object
	}
	o := &object{res: res, obj: obj}
	o.labelElems, o.labelEdges = labelElements(labelNamespace(res, obj), obj.Labels)
	g.objects[k] = o
	g.dirty[k] = struct{}{}
	g.updateLabels(old, o)
	if indexed(k.typ) {
		byName := g.byNS[nsType{k.ns, k.typ}]
		if byName == nil {
			byName = map[string]*object{}
			g.byNS[nsType{k.ns, k.typ}] = byName
		}
		byName[k.name] = o
	}
	g.dependents(k, old, o)
}

// remove records a deleted object (or one whose resource is no longer
// watched).
func (g *graph) remove(k entityKey) {
	old := g.objects[k]
	if old == nil {
		return
	}
	delete(g.objects, k)
	g.dirty[k] = struct{}{}
	g.updateLabels(old, nil)
	if indexed(k.typ) {
		nk := nsType{k.ns, k.typ}
		delete(g.byNS[nk], k.name)
		if len(g.byNS[nk]) == 0 {
			delete(g.byNS, nk)
		}
	}
	g.dependents(k, old, nil)
}

// removeResource removes every object of a resource.
func (g *graph) removeResource(res *resource) {
	var gone []entityKey
	for k, o := range g.objects {
		if o.res == res {
			gone = append(gone, k)
		}
	}
	for _, k := range gone {
		g.remove(k)
	}
}

// updateLabels moves an object's label contributions from old to cur.
func (g *graph) updateLabels(old, cur *object) {
	if old != nil && cur != nil && slices.Equal(old.labelElems, cur.labelElems) && slices.Equal(old.labelEdges, cur.labelEdges) {
		return
	}
	if old != nil {
		for _, e := range old.labelElems {
			l := g.labels[e]
			l.carriers--
			g.dirty[e] = struct{}{}
		}
		for _, e := range old.labelEdges {
			l := g.labels[e.to]
			if l.from[e.from]--; l.from[e.from] == 0 {
				delete(l.from, e.from)
			}
		}
		for _, e := range old.labelElems {
			if g.labels[e].carriers == 0 {
				delete(g.labels, e)
			}
		}
	}
	if cur != nil {
		for _, e := range cur.labelElems {
			l := g.labels[e]
			if l == nil {
				l = &labelElem{from: map[entityKey]int{}}
				g.labels[e] = l
			}
			l.carriers++
			g.dirty[e] = struct{}{}
		}
		for _, e := range cur.labelEdges {
			g.labels[e.to].from[e.from]++
		}
	}
}

// dependents marks dirty the objects whose relationships depend on k:
// the pods a service selects (before and after), and the claims of a
// stateful set's templates; and keeps the service selector index.
func (g *graph) dependents(k entityKey, old, cur *object) {
	switch k.typ {
	case typeService:
		var oldSel, curSel map[string]string
		if old != nil {
			oldSel = old.obj.selector
			g.unindexSelector(k.ns, old)
		}
		if cur != nil {
			curSel = cur.obj.selector
			g.indexSelector(k.ns, cur)
		}
		if old != nil && cur != nil && equalSelectors(oldSel, curSel) {
			return
		}
		for name, p := range g.byNS[nsType{k.ns, typePod}] {
			if selects(oldSel, p.obj.Labels) || selects(curSel, p.obj.Labels) {
				g.dirty[entityKey{typePod, k.ns, name}] = struct{}{}
			}
		}
	case typeStatefulSet:
		for name := range g.byNS[nsType{k.ns, typePVC}] {
			if (old != nil && statefulSetClaims(k.name, old.obj.claimTemplates, name)) ||
				(cur != nil && statefulSetClaims(k.name, cur.obj.claimTemplates, name)) {
				g.dirty[entityKey{typePVC, k.ns, name}] = struct{}{}
			}
		}
	}
}

func equalSelectors(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// selects reports whether a service selector selects labels; an empty
// selector selects nothing (the service's endpoints are managed by hand).
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if w, ok := labels[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func selectorTerm(k, v string) string { return k + "=" + v }

func (g *graph) indexSelector(ns string, svc *object) {
	sel := svc.obj.selector
	if len(sel) == 0 {
		return
	}
	idx := g.selectors[ns]
	if idx == nil {
		idx = map[string][]*object{}
		g.selectors[ns] = idx
	}
	// One term is enough to find the service: the pod must carry all.
	k, v := smallestTerm(sel)
	t := selectorTerm(k, v)
	idx[t] = append(idx[t], svc)
}

func (g *graph) unindexSelector(ns string, svc *object) {
	sel := svc.obj.selector
	if len(sel) == 0 {
		return
	}
	k, v := smallestTerm(sel)
	t := selectorTerm(k, v)
	idx := g.selectors[ns]
	idx[t] = slices.DeleteFunc(idx[t], func(o *object) bool { return o == svc })
	if len(idx[t]) == 0 {
		delete(idx, t)
	}
	if len(idx) == 0 {
		delete(g.selectors, ns)
	}
}

// smallestTerm picks a selector's term deterministically.
func smallestTerm(sel map[string]string) (string, string) {
	first := true
	var key string
	for k := range sel {
		if first || k < key {
			key, first = k, false
		}
	}
	return key, sel[key]
}

// servicesSelecting returns the names of the services of ns that select a
// pod with these labels, sorted.
func (g *graph) servicesSelecting(ns string, labels map[string]string) []string {
	idx := g.selectors[ns]
	if len(idx) == 0 || len(labels) == 0 {
		return nil
	}
	var names []string
	for k, v := range labels {
		for _, svc := range idx[selectorTerm(k, v)] {
			if selects(svc.obj.selector, labels) {
				names = append(names, svc.obj.Name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// scopeOf tells the element type and scope of a kind named by an owner
// reference or an autoscaler target.
func (g *graph) scopeOf(group, kind string) (string, bool) {
	if r := typedByKind(group, kind); r != nil {
		return r.elemType, r.namespaced
	}
	if r := g.dynamicKinds[schema.GroupKind{Group: group, Kind: kind}]; r != nil {
		return r.elemType, r.namespaced
	}
	// Unknown kinds: assume namespaced, as most owners are.
	return dynamicElemType(group, kind), true
}

// id is an entity's internal ID.
func (g *graph) id(k entityKey) string {
	if k.typ == typeNamespace {
		return internalid.KubernetesNamespace(g.scope, k.name)
	}
	return internalid.Kubernetes(g.scope, k.ns, k.typ, k.name)
}

// partition is the crawl_internal_id an entity travels under.
func partition(k entityKey) string {
	switch {
	case k.typ == typeNamespace:
		return k.name + ".kubernetes.namespace"
	case k.ns != "":
		return k.ns + ".kubernetes.namespace"
	}
	return clusterPartition
}

// resolve resolves an external link with the receiver's own
// external_mappings; a link they do not resolve keeps its mapping key for
// the coordimap processor.
func (g *graph) resolve(l entity.Link) entity.Link {
	if scope, ok := g.mappings.Lookup(l.MappingKey); ok {
		l.Target.InternalID = strings.ReplaceAll(l.IDTemplate, scopePlaceholder, scope)
		l.MappingKey, l.IDTemplate = "", ""
	}
	return l
}

// objectLinks are all of an object's relationships.
func (g *graph) objectLinks(k entityKey, o *object) []entity.Link {
	l := &linkSet{scope: g.scope}
	if k.ns != "" {
		l.add(entity.Incoming, typeNamespace, k.ns, "")
	}
	for _, r := range o.obj.refs {
		typ, ns := r.typ, r.ns
		if typ == "" {
			var namespaced bool
			typ, namespaced = g.scopeOf(r.group, r.kind)
			if !namespaced {
				ns = ""
			}
		}
		l.add(r.dir, typ, ns, r.name)
	}
	switch k.typ {
	case typePod:
		for _, svc := range g.servicesSelecting(k.ns, o.obj.Labels) {
			l.add(entity.Incoming, typeService, k.ns, svc)
		}
	case typePVC:
		var sets []string
		for name, sts := range g.byNS[nsType{k.ns, typeStatefulSet}] {
			if statefulSetClaims(name, sts.obj.claimTemplates, k.name) {
				sets = append(sets, name)
			}
		}
		slices.Sort(sets)
		for _, name := range sets {
			l.add(entity.Incoming, typeStatefulSet, k.ns, name)
		}
	}
	for _, link := range o.obj.external {
		l.addLink(g.resolve(link))
	}
	for _, e := range o.labelElems {
		l.add(entity.Incoming, e.typ, e.ns, e.name)
	}
	return l.list
}

// nativeIDKey is the entity.id key of an object's UID: k8s.pod.uid,
// k8s.deployment.uid, … (k8s.<kind, lower case>.uid).
func nativeIDKey(kind string) string { return "k8s." + strings.ToLower(kind) + ".uid" }

// objectEntity builds the state of an object, body aside.
func (g *graph) objectEntity(k entityKey, o *object) entity.Entity {
	e := entity.Entity{
		Ref: entity.Ref{
			Type:       k.typ,
			InternalID: g.id(k),
			NativeIDs:  map[string]any{nativeIDKey(o.res.kind): string(o.obj.UID)},
		},
		Name:           k.name,
		Status:         o.obj.status,
		Version:        o.obj.Labels[labelVersion],
		Partition:      partition(k),
		Links:          g.objectLinks(k, o),
		Addresses:      o.obj.addresses,
		ReportInterval: g.reportInterval,
	}
	switch {
	case k.ns != "":
		e.Description = map[string]any{"k8s.namespace.name": k.ns}
	case k.typ == typeNamespace:
		e.Description = map[string]any{"k8s.namespace.name": k.name}
	}
	return e
}

// labelEntity builds the state of a label pseudo-element.
func (g *graph) labelEntity(k entityKey, l *labelElem) entity.Entity {
	e := entity.Entity{
		Ref:            entity.Ref{Type: k.typ, InternalID: g.id(k)},
		Name:           k.name,
		Partition:      partition(k),
		Body:           map[string]any{"name": k.name},
		ReportInterval: g.reportInterval,
	}
	from := make([]entityKey, 0, len(l.from))
	for f := range l.from {
		from = append(from, f)
	}
	slices.SortFunc(from, compareKeys)
	ls := &linkSet{scope: g.scope}
	for _, f := range from {
		ls.add(entity.Incoming, f.typ, f.ns, f.name)
	}
	e.Links = ls.list
	return e
}

// entityHash hashes what a state record carries besides the body.
func entityHash(bodyHash uint64, e *entity.Entity) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], bodyHash)
	h.Write(buf[:])
	str := func(s string) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
		h.Write(buf[:])
		h.WriteString(s)
	}
	str(e.Name)
	str(e.Status)
	str(e.Version)
	str(e.Partition)
	keys := make([]string, 0, len(e.Description))
	for k := range e.Description {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		str(k)
		str(fmt.Sprint(e.Description[k]))
	}
	for _, l := range e.Links {
		str(l.Type)
		str(string(l.Direction))
		str(l.Target.Type)
		str(l.Target.InternalID)
		str(l.MappingKey)
		str(l.IDTemplate)
		if l.External {
			h.WriteByte(1)
		} else {
			h.WriteByte(0)
		}
	}
	if v := h.Sum64(); v != resend {
		return v
	}
	return 1
}

// change is one record to emit: a state (e non-nil) or a delete.
type change struct {
	key  entityKey
	hash uint64
	e    *entity.Entity
	ref  entity.Ref
}

// pending returns the dirty keys in a stable order (namespace, type,
// name): the order records are emitted in.
func (g *graph) pending() []entityKey {
	keys := make([]entityKey, 0, len(g.dirty))
	for k := range g.dirty {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

// next computes the change of a dirty key, if any, and clears its dirty
// mark. It returns false when nothing is to be emitted for it.
func (g *graph) next(k entityKey) (change, bool, error) {
	if _, ok := g.dirty[k]; !ok {
		return change{}, false, nil
	}
	delete(g.dirty, k)
	prev, wasEmitted := g.emitted[k]
	if o := g.objects[k]; o != nil {
		e := g.objectEntity(k, o)
		h := entityHash(o.obj.hash, &e)
		if wasEmitted && prev == h {
			return change{}, false, nil
		}
		body, err := o.obj.bodyMap()
		if err != nil {
			return change{}, false, err
		}
		e.Body = body
		return change{key: k, hash: h, e: &e}, true, nil
	}
	if l := g.labels[k]; l != nil {
		e := g.labelEntity(k, l)
		h := entityHash(0, &e)
		if wasEmitted && prev == h {
			return change{}, false, nil
		}
		return change{key: k, hash: h, e: &e}, true, nil
	}
	if !wasEmitted {
		return change{}, false, nil
	}
	return change{key: k, ref: entity.Ref{Type: k.typ, InternalID: g.id(k)}}, true, nil
}

// commit records that a change was emitted.
func (g *graph) commit(c change) {
	if c.e != nil {
		g.emitted[c.key] = c.hash
		return
	}
	delete(g.emitted, c.key)
}

// retry puts back changes the next consumer refused: they are sent again
// (as they are then) at the next flush.
func (g *graph) retry(cs []change) {
	for _, c := range cs {
		g.emitted[c.key] = resend
		g.dirty[c.key] = struct{}{}
	}
}

// reportAll marks every entity to be sent again: the periodic full report.
func (g *graph) reportAll() {
	for k := range g.emitted {
		g.emitted[k] = resend
		g.dirty[k] = struct{}{}
	}
	for k := range g.objects {
		g.dirty[k] = struct{}{}
	}
	for k := range g.labels {
		g.dirty[k] = struct{}{}
	}
}
