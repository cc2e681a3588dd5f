package webui

import (
	"io/fs"
	"testing"
)

// The embed must work with and without a build: the placeholder keeps the
// directory, and Built tells the two apart.
func TestFSMatchesBuilt(t *testing.T) {
	_, err := fs.Stat(FS(), "index.html")
	if Built() != (err == nil) {
		t.Fatalf("Built() = %v but index.html stat error is %v", Built(), err)
	}
	if _, err := fs.Stat(FS(), ".gitkeep"); err != nil && !Built() {
		t.Fatalf("no build and no placeholder: %v", err)
	}
}
