// Package webui holds the Studio's web UI as the binary serves it: the
// files `make web` builds from the UI's sources into studio/webui/dist,
// embedded with go:embed.
//
// Takes: nothing at run time. Gives: the built files (FS) and whether a
// build is present (Built). Before the UI is built, dist holds only a
// .gitkeep, so the Go build never depends on Node; the server then serves
// a page saying the UI is not built.
package webui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built UI, rooted at its index.html.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// dist is always embedded (all:dist with its .gitkeep); Sub
		// fails only for an invalid path, which "dist" is not.
		panic(err)
	}
	return sub
}

// Built reports whether the UI has been built into dist (index.html exists).
func Built() bool {
	_, err := fs.Stat(FS(), "index.html")
	return err == nil
}
