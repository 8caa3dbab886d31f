package kubernetesreceiver

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Element statuses (empty is NoStatus on the wire).
const (
	statusGreen  = "Green"
	statusOrange = "Orange"
	statusRed    = "Red"
)

// objectStatus maps an object's state to Green, Orange, Red or "" (no
// status). Pods and deployments as the original agent mapped them; nodes,
// jobs and volumes and claims are new.
func objectStatus(obj runtime.Object) string {
	switch o := obj.(type) {
	case *corev1.Pod:
		return podStatus(o.Status.Phase)
	case *appsv1.Deployment:
		return deploymentStatus(o.Status.Conditions)
	case *corev1.Node:
		return nodeStatus(o.Status.Conditions)
	case *batchv1.Job:
		return jobStatus(o)
	case *corev1.PersistentVolumeClaim:
		switch o.Status.Phase {
		case corev1.ClaimBound:
			return statusGreen
		case corev1.ClaimPending:
			return statusOrange
		case corev1.ClaimLost:
			return statusRed
		}
	case *corev1.PersistentVolume:
		switch o.Status.Phase {
		case corev1.VolumeBound, corev1.VolumeAvailable:
			return statusGreen
		case corev1.VolumePending, corev1.VolumeReleased:
			return statusOrange
		case corev1.VolumeFailed:
			return statusRed
		}
	}
	return ""
}

// podStatus is the agent's mapping: Failed is Red, Running and Succeeded
// Green, Pending Orange.
func podStatus(phase corev1.PodPhase) string {
	switch phase {
	case corev1.PodFailed:
		return statusRed
	case corev1.PodRunning, corev1.PodSucceeded:
		return statusGreen
	case corev1.PodPending:
		return statusOrange
	}
	return ""
}

// deploymentStatus differs from the agent's, which took the type of the
// most recently updated condition and ignored its status (a deployment
// whose Available condition is False was Green): here a replica failure or
// an exceeded progress deadline is Red, Available True is Green, Available
// False (rolling out, or not enough ready replicas) Orange.
func deploymentStatus(conds []appsv1.DeploymentCondition) string {
	status := ""
	for _, c := range conds {
		switch {
		case c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue,
			c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse:
			return statusRed
		case c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue:
			status = statusGreen
		case c.Type == appsv1.DeploymentAvailable:
			status = statusOrange
		}
	}
	return status
}

// nodeStatus is Ready: True Green, False Red, Unknown (the node stopped
// reporting) Orange.
func nodeStatus(conds []corev1.NodeCondition) string {
	for _, c := range conds {
		if c.Type != corev1.NodeReady {
			continue
		}
		switch c.Status {
		case corev1.ConditionTrue:
			return statusGreen
		case corev1.ConditionFalse:
			return statusRed
		default:
			return statusOrange
		}
	}
	return ""
}

// jobStatus: Complete is Green, Failed Red, running Orange.
func jobStatus(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return statusGreen
		case batchv1.JobFailed:
			return statusRed
		}
	}
	if j.Status.Active > 0 {
		return statusOrange
	}
	return ""
}
