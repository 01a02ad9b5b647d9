//go:build !e2ehooks

package controller

// crashPoint is a test hook: the e2e tests build the binary with -tags
// e2ehooks (hooks_e2e.go), where it can kill the process at a named point
// of one Job's life. The shipped binary is built without the tag: this
// empty function is all it has, and it reads no environment for it.
func crashPoint(string, *unit) {}
