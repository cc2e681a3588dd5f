package controllers

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

const volumeCell = `-- @metric: trade_volume
-- @metric_labels: symbol
-- @metric_field: volume
SELECT symbol, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '5' MINUTE)
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');
`

const priceCell = `-- @metric: avg_price
-- @metric_type: gauge
-- @metric_labels: symbol
-- @metric_field: avg_price
SELECT symbol, AVG(price) AS avg_price
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');
`

func TestMakeNotebookDashboard(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	nb := &v1alpha1.Notebook{
		ObjectMeta: metav1.ObjectMeta{Name: "trading", Namespace: "analytics"},
		Spec: v1alpha1.NotebookSpec{Title: "Trading Analytics", Cells: []v1alpha1.NotebookCell{
			{Name: "volume", SQL: volumeCell, Deploy: true},
			{Name: "draft", SQL: priceCell},
			{Name: "broken", SQL: "SELECT FROM", Deploy: true},
			{Name: "price", SQL: priceCell, Deploy: true},
		}},
	}
	cm, err := MakeNotebookDashboard(nb)
	if err != nil {
		t.Fatal(err)
	}
	if cm == nil || cm.Name != "trading-dashboard" || cm.Labels["grafana_dashboard"] != "1" {
		t.Fatalf("ConfigMap = %+v", cm)
	}
	raw := cm.Data["trading.json"]
	var strict dashboard.Dashboard
	if err := strict.UnmarshalJSONStrict([]byte(raw)); err != nil {
		var be cog.BuildErrors
		if !errors.As(err, &be) || len(be) > 0 {
			t.Fatalf("strict unmarshal: %v", err)
		}
	}
	var d dashboard.Dashboard
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if *d.Title != "Velostream notebook: Trading Analytics" || len(*d.Uid) > 40 {
		t.Errorf("title %q uid %q", *d.Title, *d.Uid)
	}

	ids := map[uint32]bool{}
	var rows []string
	var lastY uint32
	var queries []string
	for _, p := range d.Panels {
		var id uint32
		var pos *dashboard.GridPos
		if p.RowPanel != nil {
			id, pos = p.RowPanel.Id, p.RowPanel.GridPos
			rows = append(rows, *p.RowPanel.Title)
		} else {
			id, pos = *p.Panel.Id, p.Panel.GridPos
			for _, tgt := range p.Panel.Targets {
				b, _ := json.Marshal(tgt)
				queries = append(queries, string(b))
			}
		}
		if ids[id] {
			t.Errorf("panel id %d repeats", id)
		}
		ids[id] = true
		if pos.Y < lastY {
			t.Errorf("panel %d at y=%d above the previous one at %d: cells overlap", id, pos.Y, lastY)
		}
		lastY = pos.Y
	}
	want := []string{"volume: Engine health", "volume: Metrics", "price: Engine health", "price: Metrics"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("rows = %q, want %q", rows, want)
	}
	all := strings.Join(queries, "\n")
	for _, w := range []string{`query=\"trading-volume\"`, `query=\"trading-price\"`, "velo_trade_volume_total", "velo_avg_price"} {
		if !strings.Contains(all, w) {
			t.Errorf("no panel queries %s", w)
		}
	}
	if strings.Contains(all, "trading-draft") || strings.Contains(all, "trading-broken") {
		t.Error("a draft or broken cell has panels")
	}

	// No deployed cell: no dashboard.
	nb.Spec.Cells = nb.Spec.Cells[1:2]
	if cm, err := MakeNotebookDashboard(nb); err != nil || cm != nil {
		t.Errorf("MakeNotebookDashboard with no deployed cell = %v, %v", cm, err)
	}
}

func TestNotebookDashboardUID(t *testing.T) {
	short := notebookDashboardUID("ns", "nb")
	a := notebookDashboardUID(strings.Repeat("n", 40), "nb")
	b := notebookDashboardUID(strings.Repeat("n", 40), "nc")
	if short != "velo-nb-ns-nb" || len(a) > 40 || len(b) > 40 || a == b {
		t.Errorf("uids %q %q %q", short, a, b)
	}
}
