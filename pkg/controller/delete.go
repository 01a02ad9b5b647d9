package controller

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// backgroundDelete is runmeta.BackgroundDelete: a Job's pods go with it.
func backgroundDelete(uid types.UID) metav1.DeleteOptions { return runmeta.BackgroundDelete(uid) }

func isGone(err error) bool { return apierrors.IsNotFound(err) || apierrors.IsConflict(err) }
