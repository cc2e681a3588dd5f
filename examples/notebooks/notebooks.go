// Package notebooks holds the sample notebooks as YAML files (Notebook
// objects of velostream.io/v1alpha1), embedded so that `velo studio --demo`
// can open with them.
//
// Takes: nothing. Gives: the files by name (Files) and the Trading
// Analytics notebook's bytes (TradingAnalytics).
package notebooks

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// Files are the sample notebooks, each NAME.yaml.
func Files() fs.FS { return files }

// TradingAnalytics is the product brief's sample notebook.
func TradingAnalytics() []byte {
	b, err := files.ReadFile("trading-analytics.yaml")
	if err != nil {
		// Embedded at build time: a missing file fails the build, not this.
		panic(err)
	}
	return b
}
