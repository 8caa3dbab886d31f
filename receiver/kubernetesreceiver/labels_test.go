package kubernetesreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLabelElements(t *testing.T) {
	elems, edges := labelElements("shop", map[string]string{
		labelHelmChart: "api-1.2.3",
		labelPartOf:    "shop",
		labelComponent: "backend",
		labelName:      "api",
		labelVersion:   "1.2.3",
		"app":          "api",
	})
	chart := entityKey{typeHelmChart, "shop", "api-1.2.3"}
	partOf := entityKey{typeLabelPartOf, "shop", "shop"}
	component := entityKey{typeLabelComponent, "shop", "backend"}
	name := entityKey{typeLabelName, "shop", "api"}
	assert.Equal(t, []entityKey{chart, partOf, component, name}, elems)
	assert.Equal(t, []labelEdge{{partOf, component}, {partOf, name}, {component, name}}, edges)

	elems, edges = labelElements("", map[string]string{labelName: "csi", labelComponent: ""})
	assert.Equal(t, []entityKey{{typeLabelName, "", "csi"}}, elems, "empty values make no element")
	assert.Empty(t, edges)

	elems, edges = labelElements("x", map[string]string{"app": "a"})
	assert.Empty(t, elems)
	assert.Empty(t, edges)
}
