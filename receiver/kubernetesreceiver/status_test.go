package kubernetesreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestObjectStatus(t *testing.T) {
	dep := func(conds ...appsv1.DeploymentCondition) *appsv1.Deployment {
		return &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: conds}}
	}
	cond := func(typ appsv1.DeploymentConditionType, s corev1.ConditionStatus) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{Type: typ, Status: s}
	}
	nodeReady := func(s corev1.ConditionStatus) *corev1.Node {
		return &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionTrue},
			{Type: corev1.NodeReady, Status: s},
		}}}
	}
	tests := []struct {
		name string
		obj  runtime.Object
		want string
	}{
		{"pod pending", &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending}}, statusOrange},
		{"pod running", &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning}}, statusGreen},
		{"pod succeeded", &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodSucceeded}}, statusGreen},
		{"pod failed", &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed}}, statusRed},
		{"pod unknown", &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodUnknown}}, ""},
		{"pod without status", &corev1.Pod{}, ""},
		{"deployment without conditions", dep(), ""},
		{"deployment available", dep(cond(appsv1.DeploymentProgressing, corev1.ConditionTrue), cond(appsv1.DeploymentAvailable, corev1.ConditionTrue)), statusGreen},
		{"deployment rolling out", dep(cond(appsv1.DeploymentAvailable, corev1.ConditionFalse), cond(appsv1.DeploymentProgressing, corev1.ConditionTrue)), statusOrange},
		{"deployment stuck", dep(cond(appsv1.DeploymentAvailable, corev1.ConditionTrue), cond(appsv1.DeploymentProgressing, corev1.ConditionFalse)), statusRed},
		{"deployment replica failure", dep(cond(appsv1.DeploymentAvailable, corev1.ConditionTrue), cond(appsv1.DeploymentReplicaFailure, corev1.ConditionTrue)), statusRed},
		{"deployment progressing only", dep(cond(appsv1.DeploymentProgressing, corev1.ConditionTrue)), ""},
		{"node ready", nodeReady(corev1.ConditionTrue), statusGreen},
		{"node not ready", nodeReady(corev1.ConditionFalse), statusRed},
		{"node unknown", nodeReady(corev1.ConditionUnknown), statusOrange},
		{"node without conditions", &corev1.Node{}, ""},
		{"job running", &batchv1.Job{Status: batchv1.JobStatus{Active: 1}}, statusOrange},
		{"job complete", &batchv1.Job{Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}}, statusGreen},
		{"job failed", &batchv1.Job{Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue}}}}, statusRed},
		{"job new", &batchv1.Job{}, ""},
		{"claim bound", &corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}, statusGreen},
		{"claim pending", &corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}, statusOrange},
		{"claim lost", &corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimLost}}, statusRed},
		{"volume available", &corev1.PersistentVolume{Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable}}, statusGreen},
		{"volume released", &corev1.PersistentVolume{Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeReleased}}, statusOrange},
		{"volume failed", &corev1.PersistentVolume{Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeFailed}}, statusRed},
		{"service", &corev1.Service{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, objectStatus(tt.obj))
		})
	}
}
