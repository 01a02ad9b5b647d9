package runmeta

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// BackgroundDelete deletes with propagationPolicy Background, so that a
// Job's pods go with it (the batch/v1 default orphans them), and, when uid
// is known, only the object of that UID: never a namesake created since.
func BackgroundDelete(uid types.UID) metav1.DeleteOptions {
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}
	if uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	return opts
}
