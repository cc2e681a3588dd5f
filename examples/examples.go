// Package examples holds the example queries as files users can read and run
// with `velo run`, embedded so that `velo demo` runs exactly the file it
// points to.
package examples

import _ "embed"

// DemoTrades is examples/demo_trades.sql: what `velo demo` runs.
//
//go:embed demo_trades.sql
var DemoTrades string
