package runmeta

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"path"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
)

// Labels every Job of a run carries (docs/cluster.md, "In the cluster").
const (
	LabelRun       = record.LabelRun
	LabelJob       = "jobernetes.io/job"
	LabelPhase     = "jobernetes.io/phase"
	LabelManagedBy = record.LabelManagedBy
	// LabelRevert marks a compensating Job; LabelAttempt a Job of a retry.
	LabelRevert  = "jobernetes.io/revert"
	LabelAttempt = "jobernetes.io/attempt"
	// LabelMatrix is a matrix Job's index in matrix order (docs/dataflow.md).
	LabelMatrix = "jobernetes.io/matrix"
	ManagedBy   = record.ManagedBy

	// AnnotationManifest records which manifest file a Job was made from.
	AnnotationManifest = "jobernetes.io/manifest"
	// AnnotationManifestHash is the SHA-256 of the manifest's Job as
	// decoded: a retry tells from it that a kept running Job's manifest
	// has changed since it was created.
	AnnotationManifestHash = "jobernetes.io/manifest-sha256"

	hashLen = 8
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// JobName is the deterministic name of the Kubernetes Job for one manifest of
// one model job in one run. Being a pure function of (run ID, job, file) is
// what makes a restarted orchestrator find its Jobs instead of creating them
// again; the hash keeps names unique when the readable part is truncated.
func JobName(runID string, job *config.Job, m *config.Manifest) string {
	return AttemptJobName(runID, job, m, 1, false)
}

// AttemptJobName is JobName for an attempt and a revert Job: attempt > 1
// (a retry of a failed run) and revert Jobs get names
// of their own, so a retry never collides with the failed Jobs it keeps for
// their logs.
func AttemptJobName(runID string, job *config.Job, m *config.Manifest, attempt int, revert bool) string {
	base := config.SanitizeDNS(job.Name)
	if revert {
		base = "revert-" + base
	}
	if job.Type == "directory" && !revert {
		stem := strings.TrimSuffix(path.Base(m.RelPath), path.Ext(m.RelPath))
		if s := config.SanitizeDNS(stem); s != "" {
			base += "-" + s
		}
	}
	if m.Matrix != nil && !revert {
		base += "-" + strconv.Itoa(m.Matrix.Index)
	}
	key := runID + "\x00" + job.Name + "\x00" + m.RelPath
	if m.Matrix != nil && !revert {
		key += fmt.Sprintf("\x00matrix=%d", m.Matrix.Index)
	}
	if revert {
		key += "\x00revert"
	}
	if attempt > 1 {
		key += fmt.Sprintf("\x00attempt=%d", attempt)
	}
	sum := sha256.Sum256([]byte(key))
	h := b32.EncodeToString(sum[:])[:hashLen]
	maxLen := validation.DNS1123LabelMaxLength - 1 - hashLen
	if len(base) > maxLen {
		base = strings.TrimRight(base[:maxLen], "-")
	}
	if base == "" {
		return "j" + h
	}
	return base + "-" + h
}

// ManifestHash is the value of AnnotationManifestHash for m.
func ManifestHash(m *config.Manifest) string {
	raw, _ := json.Marshal(m.Job)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// NewRunID makes a readable, sortable, unique run ID: model-YYYYMMDD-HHMMSS-xxxx.
func NewRunID(modelName string, now time.Time) string {
	prefix := config.SanitizeDNS(modelName)
	if prefix == "" {
		prefix = "run"
	}
	if len(prefix) > 30 {
		prefix = strings.TrimRight(prefix[:30], "-")
	}
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	suffix := make([]byte, 4)
	for i := range suffix {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		suffix[i] = alphabet[n.Int64()]
	}
	return fmt.Sprintf("%s-%s-%s", prefix, now.UTC().Format("20060102-150405"), suffix)
}

// ValidateRunID accepts IDs usable as a label value and inside object names.
func ValidateRunID(id string) error {
	if errs := validation.IsDNS1123Label(id); len(errs) > 0 {
		return fmt.Errorf("invalid run ID %q: %s", id, strings.Join(errs, "; "))
	}
	if len(record.Name(id)) > validation.DNS1123SubdomainMaxLength {
		return fmt.Errorf("invalid run ID %q: too long", id)
	}
	return nil
}
