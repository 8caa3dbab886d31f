package kubernetesreceiver

// Labels whose values become pseudo-elements, as the original agent made
// them.
const (
	labelHelmChart = "helm.sh/chart"
	labelPartOf    = "app.kubernetes.io/part-of"
	labelComponent = "app.kubernetes.io/component"
	labelName      = "app.kubernetes.io/name"
	labelVersion   = "app.kubernetes.io/version"
)

// labelEdge is a relationship between two label pseudo-elements (part-of →
// component, part-of → name, component → name).
type labelEdge struct{ from, to entityKey }

// labelElements returns the label pseudo-elements an object with these
// labels carries (each linked to the object), and the edges between them.
// ns is the object's namespace, the namespace's own name for a namespace,
// and "" for other cluster-wide objects. Empty values make no element.
//
// The agent typed component elements kubernetes.label_name (their IDs
// already said label_component); here they are kubernetes.label_component.
func labelElements(ns string, labels map[string]string) ([]entityKey, []labelEdge) {
	if len(labels) == 0 {
		return nil, nil
	}
	var elems []entityKey
	var edges []labelEdge
	elem := func(label, typ string) (entityKey, bool) {
		v := labels[label]
		if v == "" {
			return entityKey{}, false
		}
		k := entityKey{typ: typ, ns: ns, name: v}
		elems = append(elems, k)
		return k, true
	}
	elem(labelHelmChart, typeHelmChart)
	partOf, hasPartOf := elem(labelPartOf, typeLabelPartOf)
	component, hasComponent := elem(labelComponent, typeLabelComponent)
	name, hasName := elem(labelName, typeLabelName)
	if hasPartOf && hasComponent {
		edges = append(edges, labelEdge{partOf, component})
	}
	if hasPartOf && hasName {
		edges = append(edges, labelEdge{partOf, name})
	}
	if hasComponent && hasName {
		edges = append(edges, labelEdge{component, name})
	}
	return elems, edges
}
