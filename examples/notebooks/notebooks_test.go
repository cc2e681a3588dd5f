package notebooks

import (
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/velostream/velostream/demo"
	studionb "github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/deploy"
)

// Every sample notebook is a valid Notebook whose every cell validates
// against the demo streams.
func TestSamplesValidate(t *testing.T) {
	ctx := context.Background()
	store, err := studionb.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := core.New(core.Config{Catalog: catalog.New(catalog.Config{Streams: demo.Catalog()}), Notebooks: store})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names, _ := fs.Glob(Files(), "*.yaml")
	if len(names) == 0 {
		t.Fatal("no sample notebooks")
	}
	for _, name := range names {
		b, _ := fs.ReadFile(Files(), name)
		nb, err := studionb.Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := studionb.Validate(nb); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if nb.Name+".yaml" != name {
			t.Errorf("%s holds notebook %s", name, nb.Name)
		}
		for _, c := range nb.Spec.Cells {
			if v := s.Validate(ctx, c.SQL); !v.Valid {
				j, _ := json.Marshal(v.Errors)
				t.Errorf("%s cell %s: %s", name, c.Name, j)
			}
			for _, a := range c.Assertions {
				if !strings.HasPrefix(string(a.Raw), "{") {
					t.Errorf("%s cell %s: assertion %s", name, c.Name, a.Raw)
				}
			}
		}
	}
}

// The Trading Analytics notebook deploys as the product brief's deploy
// summary says: 2 streaming SQL jobs, 3 @metrics, 1 @alert, a dashboard.
func TestTradingAnalyticsDeploySummary(t *testing.T) {
	nb, err := studionb.Unmarshal(TradingAnalytics())
	if err != nil {
		t.Fatal(err)
	}
	store, _ := studionb.NewFileStore(t.TempDir())
	s, err := core.New(core.Config{Catalog: catalog.New(catalog.Config{Streams: demo.Catalog()}), Notebooks: store})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := deploy.NotebookPlan(nb, nil, "default", nil, func(sql string) (string, int) { return s.Materialize(context.Background(), sql) })
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Summary; got.Queries != 2 || got.Metrics != 3 || got.Alerts != 1 || got.Dashboards != 1 || got.Title != "Trading Analytics" {
		t.Errorf("summary %+v", got)
	}
}
