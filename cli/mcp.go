package cli

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/studio/mcp"
)

func init() { register(newMCPCmd) }

func newMCPCmd() *cobra.Command {
	var f studioFlags
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the Studio's MCP tools to an AI agent over standard input and output",
		Long: `mcp runs the Model Context Protocol server an agent (Claude Desktop, an IDE,
any MCP client) starts as a subprocess: newline-delimited JSON-RPC on standard
input and output, and nothing else on standard output (logs go to standard
error).

Tools: list_streams, describe_stream, validate_sql, query_stream (at most 500
rows and 30 seconds), generate_test_data, run_test, get_metrics and
deploy_query (a dry run unless --allow-deploy and a cluster are given). The
same tools are served over HTTP at /mcp by velo studio.`,
		Example: `  velo mcp --demo
  velo mcp --kafka 127.0.0.1:9092 --kubeconfig ~/.kube/config --allow-deploy

  # Claude Desktop (claude_desktop_config.json):
  # {"mcpServers": {"velostream": {"command": "velo", "args": ["mcp", "--demo"]}}}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			b, err := startBackend(ctx, &f, cmd.ErrOrStderr())
			if err != nil {
				return exitCode(2, err)
			}
			defer b.Close()
			err = mcp.RunStdio(ctx, mcp.New(b.studio, b.log.With("component", "mcp")), cmd.InOrStdin(), cmd.OutOrStdout())
			if err != nil && !errors.Is(err, ctx.Err()) {
				return exitCode(1, err)
			}
			return nil
		},
	}
	f.add(cmd)
	return cmd
}
