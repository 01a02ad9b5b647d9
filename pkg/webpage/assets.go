// Package webpage holds the web page of jobernetes ui (HTML, CSS, script),
// embedded in the binary: plain files, no build step, nothing from the
// network. pkg/ui serves them; pkg/render inlines them into status -o html
// (docs/ui.md).
package webpage

import "embed"

// FS holds static/index.html, static/app.css and static/app.js.
//
//go:embed static
var FS embed.FS
