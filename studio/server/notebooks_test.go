package server

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server/core"
)

func TestNotebookLifecycle(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	var list NotebookList
	e.call("GET", "/api/v1/notebooks", nil, 200, &list)
	if len(list.Notebooks) != 0 {
		t.Fatalf("list %+v", list)
	}
	// Created from a title alone; cells without names or SQL get some.
	var nb core.Notebook
	e.call("POST", "/api/v1/notebooks", map[string]any{"name": "", "title": "Trading Analytics", "cells": []map[string]any{
		{"name": "", "sql": "SELECT symbol FROM trades", "prompt": "symbols", "assertions": []any{map[string]any{"record_count": map[string]any{"greater_than": 0}}}},
		{"name": "", "sql": ""},
	}}, 201, &nb)
	if nb.Name != "trading-analytics" || nb.Title != "Trading Analytics" || len(nb.Cells) != 2 || nb.Cells[0].Name != "cell-1" || nb.Cells[1].Name != "cell-2" || nb.Cells[1].SQL != core.NewCellSQL || nb.Version == "" {
		t.Fatalf("created %+v", nb)
	}
	if string(nb.Cells[0].Assertions[0]) != `{"record_count":{"greater_than":0}}` {
		t.Errorf("assertion %s", nb.Cells[0].Assertions[0])
	}
	e.apiError("POST", "/api/v1/notebooks", map[string]any{"name": "trading-analytics", "title": "again", "cells": []any{}}, 409, core.CodeExists)
	e.apiError("POST", "/api/v1/notebooks", map[string]any{"name": "Bad Name", "title": "x", "cells": []any{}}, 422, core.CodeInvalidRequest)

	// Cells: add at an index, change, delete.
	var after core.Notebook
	e.call("POST", "/api/v1/notebooks/trading-analytics/cells", map[string]any{"cell": map[string]any{"name": "volume", "sql": "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol"}, "index": 0}, 201, &after)
	if names := cellNames(after); names != "volume,cell-1,cell-2" {
		t.Fatalf("after add: %s", names)
	}
	e.call("PATCH", "/api/v1/notebooks/trading-analytics/cells/cell-2", map[string]any{"sql": "SELECT * FROM clicks", "deploy": true}, 200, &after)
	if c := after.Cells[2]; c.SQL != "SELECT * FROM clicks" || !c.Deploy {
		t.Errorf("patched %+v", c)
	}
	e.apiError("PATCH", "/api/v1/notebooks/trading-analytics/cells/nope", map[string]any{"sql": "x"}, 404, core.CodeNotFound)
	e.apiError("PATCH", "/api/v1/notebooks/trading-analytics/cells/cell-2", map[string]any{"sql": ""}, 422, core.CodeInvalidRequest)
	e.apiError("PATCH", "/api/v1/notebooks/trading-analytics/cells/cell-2", map[string]any{"sql": "x", "version": "stale"}, 409, core.CodeConflict)
	e.call("DELETE", "/api/v1/notebooks/trading-analytics/cells/cell-1?version="+after.Version, nil, 200, &after)
	if names := cellNames(after); names != "volume,cell-2" {
		t.Fatalf("after delete: %s", names)
	}

	// Save the whole notebook at its version.
	after.Title = "Trading"
	var saved core.Notebook
	e.call("PUT", "/api/v1/notebooks/trading-analytics", after, 200, &saved)
	if saved.Title != "Trading" || saved.Version == after.Version {
		t.Errorf("saved %+v", saved)
	}
	stale := after
	e.apiError("PUT", "/api/v1/notebooks/trading-analytics", stale, 409, core.CodeConflict)
	noVersion := saved
	noVersion.Version = ""
	e.apiError("PUT", "/api/v1/notebooks/trading-analytics", noVersion, 400, core.CodeInvalidRequest)

	// Export is the YAML kubectl applies, and it is what the file holds.
	resp, err := http.Get(e.srv.URL + "/api/v1/notebooks/trading-analytics/export")
	if err != nil {
		t.Fatal(err)
	}
	yamlBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("export %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	file, _ := os.ReadFile(filepath.Join(e.dir, "trading-analytics.yaml"))
	if string(yamlBody) != string(file) || !strings.Contains(string(file), "kind: Notebook") {
		t.Errorf("export:\n%s\nfile:\n%s", yamlBody, file)
	}
	if _, err := notebooks.Unmarshal(yamlBody); err != nil {
		t.Error(err)
	}

	e.call("GET", "/api/v1/notebooks", nil, 200, &list)
	if len(list.Notebooks) != 1 || list.Notebooks[0].Cells != 2 || list.Notebooks[0].Version != saved.Version {
		t.Errorf("list %+v", list)
	}
	e.apiError("DELETE", "/api/v1/notebooks/trading-analytics?version=stale", nil, 409, core.CodeConflict)
	status, _ := e.do("DELETE", "/api/v1/notebooks/trading-analytics?version="+saved.Version, nil)
	if status != 204 {
		t.Fatalf("delete: %d", status)
	}
	e.apiError("GET", "/api/v1/notebooks/trading-analytics", nil, 404, core.CodeNotFound)
}

// An edit made to the file on disk while the notebook is open in the UI
// is not overwritten: the save fails with both versions, and the UI's
// version is kept next to the file.
func TestNotebookConflictWithAnEditOnDisk(t *testing.T) {
	e := newEnv(t, envOpts{})
	var nb core.Notebook
	e.call("POST", "/api/v1/notebooks", map[string]any{"name": "n", "title": "Loaded", "cells": []map[string]any{{"name": "a", "sql": "SELECT 1"}}}, 201, &nb)
	path := filepath.Join(e.dir, "n.yaml")
	b, _ := os.ReadFile(path)
	edited := strings.Replace(string(b), "title: Loaded", "title: Edited on disk", 1)
	os.WriteFile(path, []byte(edited), 0o644)
	nb.Title = "Edited in the UI"
	status, raw := e.do("PUT", "/api/v1/notebooks/n", nb)
	if status != 409 {
		t.Fatalf("status %d: %s", status, raw)
	}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Details struct {
				Current core.Notebook `json:"current"`
				Yours   core.Notebook `json:"yours"`
				SavedAs string        `json:"saved_as"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	d := env.Error.Details
	if env.Error.Code != core.CodeConflict || d.Current.Title != "Edited on disk" || d.Yours.Title != "Edited in the UI" || d.Current.Version == nb.Version {
		t.Errorf("conflict %+v", env.Error)
	}
	if kept, err := os.ReadFile(d.SavedAs); err != nil || !strings.Contains(string(kept), "Edited in the UI") {
		t.Errorf("the UI's version was not kept: %v", err)
	}
	if now, _ := os.ReadFile(path); string(now) != edited {
		t.Error("the edit on disk was overwritten")
	}
}

func cellNames(nb core.Notebook) string {
	var out []string
	for _, c := range nb.Cells {
		out = append(out, c.Name)
	}
	return strings.Join(out, ",")
}
