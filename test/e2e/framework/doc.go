// Package framework runs a real Kubernetes control plane on loopback for the
// project's end-to-end tests: etcd, kube-apiserver (RBAC, audit log),
// kube-controller-manager, kube-scheduler, and kwok playing one fake node whose
// pods follow a script given in pod-template annotations (AnnotationDuration,
// AnnotationOutcome, AnnotationExitCode).
//
// An e2e package starts one control plane for all its tests from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }
//
//	func TestX(t *testing.T) {
//		cp := framework.RequireCluster(t)
//		ns := cp.NewNamespace(t)
//		...
//	}
//
// The binaries come from hack/build-control-plane.sh (see BinDir).
package framework
