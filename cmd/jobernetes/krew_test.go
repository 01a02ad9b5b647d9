package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The krew manifest template names one archive per platform `make dist`
// builds, each with its own checksum placeholder, and every placeholder is
// one hack/dist.sh fills in.
func TestKrewManifestTemplate(t *testing.T) {
	tmpl, err := os.ReadFile("../../hack/krew/jobernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("../../hack/dist.sh")
	if err != nil {
		t.Fatal(err)
	}
	platforms := regexp.MustCompile(`DIST_PLATFORMS:-([^}]*)}`).FindSubmatch(script)
	if platforms == nil {
		t.Fatal("hack/dist.sh has no default DIST_PLATFORMS")
	}
	filled := string(tmpl)
	for _, p := range strings.Fields(string(platforms[1])) {
		os, arch, _ := strings.Cut(p, "/")
		ph := "@SHA256_" + os + "_" + arch + "@"
		if !strings.Contains(filled, ph) {
			t.Errorf("template lacks %s", ph)
		}
		filled = strings.ReplaceAll(filled, ph, strings.Repeat("0", 64))
	}
	filled = strings.ReplaceAll(filled, "@VERSION@", "v1.2.3")
	filled = strings.ReplaceAll(filled, "@RELEASE_URL@", "https://example.com/v1.2.3")
	if left := regexp.MustCompile(`@[A-Za-z0-9_]+@`).FindAllString(filled, -1); len(left) > 0 {
		t.Errorf("placeholders dist.sh does not fill: %v", left)
	}
	var m struct {
		Kind     string
		Metadata struct{ Name string }
		Spec     struct {
			Version   string
			Platforms []struct {
				Selector struct{ MatchLabels map[string]string } `json:"selector"`
				URI      string                                  `json:"uri"`
				Sha256   string                                  `json:"sha256"`
				Bin      string                                  `json:"bin"`
			}
		}
	}
	if err := yaml.Unmarshal([]byte(filled), &m); err != nil {
		t.Fatal(err)
	}
	if m.Kind != "Plugin" || m.Metadata.Name != "jobernetes" || m.Spec.Version != "v1.2.3" || len(m.Spec.Platforms) != 4 {
		t.Fatalf("manifest: %+v", m)
	}
	for _, p := range m.Spec.Platforms {
		l := p.Selector.MatchLabels
		want := "https://example.com/v1.2.3/jobernetes-v1.2.3-" + l["os"] + "-" + l["arch"] + ".tar.gz"
		if p.URI != want || p.Bin != "jobernetes" || len(p.Sha256) != 64 {
			t.Errorf("platform %v: uri %s (want %s), bin %s, sha256 %s", l, p.URI, want, p.Bin, p.Sha256)
		}
	}
}
