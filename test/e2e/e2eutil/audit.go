package e2eutil

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// AuditEntry is one answered API request from kube-apiserver's audit log.
type AuditEntry struct {
	Time                                   time.Time // stageTimestamp
	Verb, Resource, Subresource            string
	Namespace, Name, UserAgent, RequestURI string
	Code                                   int // HTTP status of the response
}

type auditLine struct {
	AuditID        string    `json:"auditID"`
	Stage          string    `json:"stage"`
	Verb           string    `json:"verb"`
	RequestURI     string    `json:"requestURI"`
	UserAgent      string    `json:"userAgent"`
	StageTimestamp time.Time `json:"stageTimestamp"`
	ObjectRef      *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// ReadAudit returns the answered requests (stage ResponseComplete) of the
// audit log at path whose user agent starts with userAgentPrefix. The log
// spans API server restarts: every instance appends to the same file.
func ReadAudit(path, userAgentPrefix string) ([]AuditEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer f.Close()
	quoted, _ := json.Marshal(userAgentPrefix)
	needle := append([]byte(`"userAgent":`), quoted[:len(quoted)-1]...)
	var out []AuditEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, needle) || !bytes.Contains(line, []byte(`"stage":"ResponseComplete"`)) {
			continue
		}
		var l auditLine
		if err := json.Unmarshal(line, &l); err != nil || !strings.HasPrefix(l.UserAgent, userAgentPrefix) {
			continue // the last line may be half written
		}
		e := AuditEntry{Time: l.StageTimestamp, Verb: l.Verb, UserAgent: l.UserAgent, RequestURI: l.RequestURI}
		if l.ObjectRef != nil {
			e.Resource, e.Subresource = l.ObjectRef.Resource, l.ObjectRef.Subresource
			e.Namespace, e.Name = l.ObjectRef.Namespace, l.ObjectRef.Name
		}
		if l.ResponseStatus != nil {
			e.Code = l.ResponseStatus.Code
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// JobCreates counts, per Job name, the creates of Jobs in namespace ns by
// clients whose user agent starts with userAgentPrefix: those answered 201
// (created) and those whose answer says nothing (a client killed during
// the request gets a 5xx "Handler timeout", yet its Job may have been
// created all the same). 409 AlreadyExists and other refusals are left
// out. Unlike a watch, the audit log has no gaps.
func JobCreates(auditLog, ns, userAgentPrefix string) (created, unknown map[string]int, err error) {
	entries, err := ReadAudit(auditLog, userAgentPrefix)
	if err != nil {
		return nil, nil, err
	}
	created, unknown = map[string]int{}, map[string]int{}
	for _, e := range entries {
		if e.Verb != "create" || e.Resource != "jobs" || e.Subresource != "" || e.Namespace != ns {
			continue
		}
		switch {
		case e.Code == 201:
			created[e.Name]++
		case e.Code == 0 || e.Code >= 500:
			unknown[e.Name]++
		}
	}
	return created, unknown, nil
}
