// Command cmd runs the NL->SQL evaluation set (make eval-nl2sql): the
// offline generator always, and the model providers that are configured
// (see assistant/providers: ANTHROPIC_API_KEY; VELO_OPENAI_BASE_URL and
// VELO_OPENAI_MODEL). It prints, per provider, the share of answers that
// validate, the share whose results match the reference on generated data,
// and coverage and precision.
//
//	go run ./assistant/eval/cmd [-v] [-set assistant/testdata/eval.yaml]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/assistant/eval"
	"github.com/velostream/velostream/assistant/providers"
)

func main() {
	set := flag.String("set", filepath.Join("assistant", "testdata", "eval.yaml"), "the evaluation set")
	schemas := flag.String("schemas", filepath.Join("assistant", "testdata", "schemas"), "schema files of the generated data")
	verbose := flag.Bool("v", false, "list every question not answered right")
	flag.Parse()
	if err := run(*set, *schemas, *verbose); err != nil {
		slog.Error("eval-nl2sql", "err", err)
		os.Exit(1)
	}
}

func run(set, schemas string, verbose bool) error {
	cases, err := eval.Load(set)
	if err != nil {
		return err
	}
	data, err := eval.GenerateData(schemas)
	if err != nil {
		return err
	}
	gens, err := providers.All(providers.FromEnv(os.Getenv))
	if err != nil {
		return err
	}
	cat := assistant.DemoCatalog()
	for _, g := range gens {
		r, err := eval.Evaluate(context.Background(), g, cases, cat, data)
		if err != nil {
			return err
		}
		r.Print(os.Stdout, verbose)
	}
	fmt.Println()
	return nil
}
