package kubernetesreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// The coordimap connector links OTel services to these elements by the
// types internalid exports; they must be the ones this receiver emits.
func TestElementTypesSharedWithConnector(t *testing.T) {
	assert.Equal(t, internalid.TypeKubernetesPod, typePod)
	assert.Equal(t, internalid.TypeKubernetesNode, typeNode)
	assert.Equal(t, internalid.TypeKubernetesDeployment, typeDeployment)
	assert.Equal(t, internalid.TypeKubernetesReplicaSet, typeReplicaSet)
	assert.Equal(t, internalid.TypeKubernetesStatefulSet, typeStatefulSet)
	assert.Equal(t, internalid.TypeKubernetesDaemonSet, typeDaemonSet)
	assert.Equal(t, internalid.TypeKubernetesJob, typeJob)
	assert.Equal(t, internalid.TypeKubernetesCronJob, typeCronJob)
	assert.Equal(t, internalid.TypeGCPVM, typeGCPVM)
}
