package report

// RunList is `jobernetes status -o json` without --run-id: the runs of a
// namespace, or of every namespace (-A, Namespace empty), newest first.
type RunList struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Namespace  string       `json:"namespace,omitempty"` // absent with --all-namespaces
	Items      []RunSummary `json:"items"`
}

// NewRunList lists runs of namespace ns ("" for every namespace).
func NewRunList(ns string, runs []RunSummary) *RunList {
	if runs == nil {
		runs = []RunSummary{}
	}
	return &RunList{APIVersion: StatusAPIVersion, Kind: "RunList", Namespace: ns, Items: runs}
}
