package framework

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
)

// auditPolicy records every request once it is answered, with user, user
// agent, verb and resource (Metadata level) but no bodies. RequestReceived is
// left out: it would only double the file.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: Metadata
`

func writeAuditPolicy(path string) error {
	if err := os.WriteFile(path, []byte(auditPolicy), 0o600); err != nil {
		return fmt.Errorf("write audit policy: %w", err)
	}
	return nil
}

// RequestCount is the number of API requests of one kind.
type RequestCount struct {
	Verb, Resource, Subresource string
	Count                       int
}

// Key is the CountRequests map key: "verb resource" or "verb resource/subresource"
// (e.g. "create jobs", "watch jobs", "patch pods/status"); for non-resource
// requests "verb /path".
func (r RequestCount) Key() string {
	if r.Subresource != "" {
		return r.Verb + " " + r.Resource + "/" + r.Subresource
	}
	return r.Verb + " " + r.Resource
}

// auditEvent holds the fields of an audit.k8s.io/v1 Event that counting needs.
type auditEvent struct {
	AuditID    string `json:"auditID"`
	Stage      string `json:"stage"`
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	UserAgent  string `json:"userAgent"`
	ObjectRef  *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
	} `json:"objectRef"`
}

// CountRequests counts the API requests whose user agent starts with
// userAgentPrefix, keyed as RequestCount.Key ("create jobs", "list jobs",
// "watch jobs", ...).
//
// Each request counts once. A short request has a single ResponseComplete
// event. A watch has a ResponseStarted event when its stream opens and a
// ResponseComplete event only when it closes, which a long watch may not have
// done yet; one refused before streaming has only ResponseComplete. So events
// are counted by distinct auditID across ResponseStarted, ResponseComplete and
// Panic: every watch counts as soon as it is opened, and never twice.
//
// The audit backend writes an event as the response is sent, so a request
// that just returned to the client may appear a few milliseconds later: poll
// when asserting exact numbers right after the requests.
func (cp *ControlPlane) CountRequests(userAgentPrefix string) (map[string]int, error) {
	return countMap(cp.countRequests(nil, userAgentPrefix))
}

// CountRequestsIn is CountRequests restricted to requests on objects in
// namespace ns (cluster-wide lists and watches are not in it).
func (cp *ControlPlane) CountRequestsIn(ns, userAgentPrefix string) (map[string]int, error) {
	return countMap(cp.countRequests(&ns, userAgentPrefix))
}

// RequestCounts is CountRequests as a list sorted by key.
func (cp *ControlPlane) RequestCounts(userAgentPrefix string) ([]RequestCount, error) {
	return cp.countRequests(nil, userAgentPrefix)
}

func countMap(counts []RequestCount, err error) (map[string]int, error) {
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(counts))
	for _, c := range counts {
		out[c.Key()] = c.Count
	}
	return out, nil
}

// countRequests reads the audit log; ns, if not nil, keeps only requests on that namespace.
func (cp *ControlPlane) countRequests(ns *string, userAgentPrefix string) ([]RequestCount, error) {
	f, err := os.Open(cp.AuditLogPath)
	if err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	defer f.Close()

	// Cheap filter before decoding (the log holds every component's
	// requests), written as the apiserver's JSON encoder writes it.
	quoted, err := json.Marshal(userAgentPrefix)
	if err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	needle := append([]byte(`"userAgent":`), quoted[:len(quoted)-1]...)

	seen := map[string]bool{}
	counts := map[RequestCount]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, needle) {
			continue
		}
		var ev auditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			// The apiserver may be writing the last line right now.
			continue
		}
		if !strings.HasPrefix(ev.UserAgent, userAgentPrefix) || seen[ev.AuditID] {
			continue
		}
		if ns != nil && (ev.ObjectRef == nil || ev.ObjectRef.Namespace != *ns) {
			continue
		}
		switch ev.Stage {
		case "ResponseStarted", "ResponseComplete", "Panic":
		default:
			continue
		}
		seen[ev.AuditID] = true
		k := RequestCount{Verb: ev.Verb}
		if ev.ObjectRef != nil && ev.ObjectRef.Resource != "" {
			k.Resource, k.Subresource = ev.ObjectRef.Resource, ev.ObjectRef.Subresource
		} else {
			k.Resource = ev.RequestURI
			if u, err := url.Parse(ev.RequestURI); err == nil {
				k.Resource = u.Path
			}
		}
		counts[k]++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("count requests: read audit log: %w", err)
	}
	out := make([]RequestCount, 0, len(counts))
	for k, n := range counts {
		k.Count = n
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}
