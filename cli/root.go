// Package cli wires velo's subcommands. Each command lives in its own file and
// does little more than parse flags and call into the packages that do the work.
package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code through cobra without printing twice.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// exitCode returns an error that makes velo exit with code; err, if not nil,
// has already been reported to the user.
func exitCode(code int, err error) error { return &exitError{code: code, err: err} }

// commands holds the constructors of velo's subcommands; each command file
// registers itself in init so that adding a command touches one file.
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }

// NewRoot builds the velo command tree.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "velo",
		Short: "Velostream: streaming SQL over Kafka topics and files",
		Long: `velo runs, validates and tests streaming SQL, and runs Velostream's
embedded broker, runner, operator and Studio.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, f := range commands {
		root.AddCommand(f())
	}
	return root
}

// Execute runs velo with os.Args and returns the process exit code.
func Execute() int {
	err := NewRoot().Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && !errors.Is(ee.err, errReported) {
			fmt.Fprintln(os.Stderr, "velo:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "velo:", err)
	return 2
}

// errReported marks an error whose details were already printed.
var errReported = errors.New("reported")
