package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"time"

	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/webpage"
)

// StatusHTML writes `status -o html`: the run as one self-contained HTML
// file, for a CI job's artefacts: the page of jobernetes ui (its DAG, job
// panels with the failure diagnosis and results) with the run's document,
// the timeline of -o svg and the page's style and script inlined. It needs
// no server and nothing from the network; it does not update
// (docs/ui.md).
func StatusHTML(w io.Writer, st *report.RunStatus, now time.Time) error {
	css, err := webpage.FS.ReadFile("static/app.css")
	if err != nil {
		return err
	}
	js, err := webpage.FS.ReadFile("static/app.js")
	if err != nil {
		return err
	}
	// json.Marshal escapes <, > and &: the document cannot end its script.
	doc, err := json.Marshal(st)
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := GanttSVG(&svg, st, now); err != nil {
		return err
	}
	return htmlTemplate.Execute(w, map[string]any{
		"Title":    "jobernetes run " + st.RunID,
		"CSS":      template.CSS(css),
		"JS":       template.JS(js),
		"Doc":      template.JS(doc),
		"Now":      now.UTC().Format(time.RFC3339),
		"Timeline": template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg.Bytes())),
	})
}

var htmlTemplate = template.Must(template.New("html").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header class="top"><span class="brand">jobernetes</span><span id="crumbs"></span><span id="live" class="live"></span></header>
<main id="main"></main>
<div id="jobernetes-timeline" hidden data-src="{{.Timeline}}"></div>
<script type="application/json" id="jobernetes-doc" data-now="{{.Now}}">{{.Doc}}</script>
<script>{{.JS}}</script>
</body>
</html>
`))
