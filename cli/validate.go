package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/observability/annotations"
)

func init() { register(newValidateCmd) }

func newValidateCmd() *cobra.Command {
	var outFormat string
	cmd := &cobra.Command{
		Use:   "validate FILE.sql...",
		Short: "Parse and check SQL files without running them",
		Long: `validate parses and binds each file: names, types, windows, aggregates and
WITH properties. Errors print as FILE:LINE:COL: message with the source line
and a caret under the offending text; the exit code is 1 when any file has
errors. --format json prints [{file,line,col,end_line,end_col,message,hint}].`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var all []diag.JSON
			failed := false
			for _, file := range args {
				src, err := os.ReadFile(file)
				if err != nil {
					return exitCode(2, err)
				}
				q, errs := engine.Check(string(src))
				if len(errs) == 0 && q != nil {
					errs = annotations.Check(q) // @metric, @alert, @viz
				}
				if len(errs) > 0 {
					failed = true
				}
				switch outFormat {
				case "json":
					for _, d := range errs {
						all = append(all, d.ToJSON(file))
					}
				case "text":
					if len(errs) == 0 {
						fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", file)
						continue
					}
					fmt.Fprint(cmd.ErrOrStderr(), diag.RenderAll(file, string(src), errs))
				default:
					return exitCode(2, fmt.Errorf("unknown --format %q (use text or json)", outFormat))
				}
			}
			if outFormat == "json" {
				if all == nil {
					all = []diag.JSON{}
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(all); err != nil {
					return err
				}
			}
			if failed {
				return exitCode(1, errReported)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&outFormat, "format", "text", "output format: text or json")
	return cmd
}
