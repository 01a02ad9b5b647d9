package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzFastTree: whenever fastTree accepts a document, sigs.k8s.io/yaml
// (yamlTreeGeneral) reads it without a problem into the same tree. The
// seeds are FuzzLoad's, the models under testdata and examples, and shapes
// at the edges of what fastTree accepts.
func FuzzFastTree(f *testing.F) {
	for _, s := range []string{
		oneJobModel,
		"jobernetes_config:\n  cleanup: true\n  parallelization: 0\n  refresh_time: 5\njobernetes:\n- phase_name: p\n  jobs:\n  - name: a\n    job_path: ./job.yaml   # comment\n    depends_on: [ b , c ]\n",
		"a: {x: 1, y: [a, 'b', \"c\"], z: ~}\nb:\nc: null\nd: []\ne: {}\n",
		"a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: 0\nh: 007\ni: 1.5\nj: .5\nk: .inf\nl: -1\nm: 0x10\nn: 2001-12-14\n",
		"a: 'it''s'\nb: \"a\\tb\"\nc: \"#x\" # y\nd: a #b\ne: a#b\nf: a: b\n",
		"a:\n  - x\n  -  y\n  - - z\n",
		"a:\n- x\nb: 1\n",
		"- a: 1\n  b: 2\n- c\n",
		"a: b\n  c\n",
		"a:\n  b\n  c\n",
		"a: 1\na: 2\n",
		"{a: 1, a: 2}\n",
		"a: [a,]\nb: [a, [b]]\n",
		"on: 1\n",
		"a:\n    b: 1\n  c: 2\n",
		"a: &x 1\nb: *x\n",
		"a:\tb\n",
		"a: \"é\"\n",
		"? a\n: b\n",
		"a: |\n  x\n",
		"x\n",
		"~\n",
		"a: <<\n",
		"a: 123456789012345678\nb: 1234567890123456789\n",
		"key: value \n",
		"a: [a b, c  d]\n",
		"{a: [x], b: y}\n",
		"a:\n  -\n    b: 1\n",
		"- [a]\n- {}\n",
		"a: 1\n---\nb: 2",
		"--- # x\na: 1\n...\n",
		"---x\n",
		"a: 1\r\n---\r\nb: 2\r",
		"\n\n---\n\n",
		"a: -\nb: - x\n",
		"a:  # c\n  b: 1\n",
	} {
		f.Add([]byte(s))
	}
	// Every word of go-yaml's resolve table, and near misses, as a value
	// and as a key (the table's words take the general path as keys).
	for _, w := range strings.Fields("y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF " +
		"~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF << " +
		"yEs nO oN tRUE nULL Nan .in ~a y_ no- onion nothing .x ./a") {
		f.Add([]byte("k: " + w + "\n"))
		f.Add([]byte("- [" + w + "]\n"))
		f.Add([]byte(w + ": 1\n"))
	}
	for _, pattern := range []string{"testdata/*/*/jobermodel.yaml", "../../examples/*/jobermodel.yaml"} {
		seeds, _ := filepath.Glob(pattern)
		for _, s := range seeds {
			if data, err := os.ReadFile(s); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := yamlDocuments(data)
		want, wantErr := readerDocuments(data)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(docs, want) {
			t.Fatalf("yamlDocuments(%q) = %q, %v; YAMLReader: %q, %v", data, docs, err, want, wantErr)
		}
		doc, ok := singleDocument(data, "model file", func(string, string) {})
		if !ok || doc == nil {
			return
		}
		fast, ok := fastTree(doc)
		if !ok {
			return
		}
		var problems []string
		general, ok := yamlTreeGeneral(doc, func(_, msg string) { problems = append(problems, msg) })
		if !ok || len(problems) > 0 {
			t.Fatalf("fastTree accepted what sigs.k8s.io/yaml refuses (%s):\n%s", strings.Join(problems, "; "), doc)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("trees differ for\n%s\nfast:    %#v\ngeneral: %#v", doc, fast, general)
		}
	})
}
