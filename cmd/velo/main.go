// Command velo is Velostream's single binary: the streaming SQL engine's CLI,
// the embedded broker, the runner, the operator and the Studio.
package main

import (
	"os"

	"github.com/velostream/velostream/cli"
)

func main() { os.Exit(cli.Execute()) }
