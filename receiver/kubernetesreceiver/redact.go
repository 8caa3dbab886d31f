package kubernetesreceiver

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// redacted replaces a literal env value or a container argument that is
// not sent.
const redacted = ""

// podSpecOf is the pod spec an object holds: a pod's own, or the template
// of a workload; nil for other objects.
func podSpecOf(obj runtime.Object) *corev1.PodSpec {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.Spec
	case *corev1.PodTemplate:
		return &o.Template.Spec
	case *corev1.ReplicationController:
		if o.Spec.Template != nil {
			return &o.Spec.Template.Spec
		}
	case *appsv1.Deployment:
		return &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.Spec
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil
}

// redactPodSpec blanks the literal env values and the args of every
// container; env names and valueFrom (references, not values) stay.
func redactPodSpec(spec *corev1.PodSpec) {
	redact := func(env []corev1.EnvVar, args []string) {
		for i := range env {
			if env[i].Value != "" {
				env[i].Value = redacted
			}
		}
		for i := range args {
			args[i] = redacted
		}
	}
	for i := range spec.InitContainers {
		redact(spec.InitContainers[i].Env, spec.InitContainers[i].Args)
	}
	for i := range spec.Containers {
		redact(spec.Containers[i].Env, spec.Containers[i].Args)
	}
	for i := range spec.EphemeralContainers {
		redact(spec.EphemeralContainers[i].Env, spec.EphemeralContainers[i].Args)
	}
}

// containerLists are the fields of a pod spec that hold containers.
var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// redactContainersIn blanks, anywhere in an unstructured object, the
// literal env values and the args of the containers of every pod spec.
func redactContainersIn(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, field := range containerLists {
			if list, ok := x[field].([]any); ok {
				for _, c := range list {
					if cm, ok := c.(map[string]any); ok {
						redactContainer(cm)
					}
				}
			}
		}
		for _, child := range x {
			redactContainersIn(child)
		}
	case []any:
		for _, child := range x {
			redactContainersIn(child)
		}
	}
}

func redactContainer(c map[string]any) {
	if env, ok := c["env"].([]any); ok {
		for _, e := range env {
			if em, ok := e.(map[string]any); ok {
				if _, literal := em["value"]; literal {
					em["value"] = redacted
				}
			}
		}
	}
	if args, ok := c["args"].([]any); ok {
		for i := range args {
			args[i] = redacted
		}
	}
}
