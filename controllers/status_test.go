package controllers

import (
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// cond is a condition as a table row writes it: type=status/reason.
type cond struct{ typ, status, reason string }

func conds(cs []metav1.Condition) []cond {
	var out []cond
	for _, c := range cs {
		out = append(out, cond{c.Type, string(c.Status), c.Reason})
	}
	return out
}

func deployment(gen, observed int64, replicas, updated, available int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Generation: gen},
		Status: appsv1.DeploymentStatus{
			ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated,
			AvailableReplicas: available, ReadyReplicas: available,
		},
	}
}

func TestComputeQueryStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	stalledDep := deployment(2, 2, 1, 1, 0)
	stalledDep.Status.Conditions = []appsv1.DeploymentCondition{{
		Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
		Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "q-1" has timed out progressing.`,
	}}
	tests := []struct {
		name         string
		obs          queryObservation
		wantConds    []cond
		wantPhase    v1alpha1.QueryPhase
		wantObserved int64
		wantReady    int32
		wantEndpoint bool
	}{
		{
			name:         "rolling out",
			obs:          queryObservation{generation: 4, desired: 2, deployment: deployment(1, 1, 2, 1, 1), metricsEndpoint: "http://q"},
			wantConds:    []cond{{"Ready", "False", "Progressing"}, {"Reconciling", "True", "Progressing"}},
			wantPhase:    v1alpha1.QueryPending,
			wantObserved: 4, wantReady: 1, wantEndpoint: true,
		},
		{
			name:         "deployment controller has not seen the change",
			obs:          queryObservation{generation: 4, desired: 1, deployment: deployment(2, 1, 1, 1, 1)},
			wantConds:    []cond{{"Ready", "False", "Progressing"}, {"Reconciling", "True", "Progressing"}},
			wantPhase:    v1alpha1.QueryPending,
			wantObserved: 4, wantReady: 1,
		},
		{
			name:         "old pods still terminating",
			obs:          queryObservation{generation: 4, desired: 1, deployment: deployment(2, 2, 2, 1, 1)},
			wantConds:    []cond{{"Ready", "False", "Progressing"}, {"Reconciling", "True", "Progressing"}},
			wantPhase:    v1alpha1.QueryPending,
			wantObserved: 4, wantReady: 1,
		},
		{
			name:         "running",
			obs:          queryObservation{generation: 4, desired: 2, deployment: deployment(2, 2, 2, 2, 2), metricsEndpoint: "http://q"},
			wantConds:    []cond{{"Ready", "True", "Succeeded"}},
			wantPhase:    v1alpha1.QueryRunning,
			wantObserved: 4, wantReady: 2, wantEndpoint: true,
		},
		{
			name:         "scaled to zero",
			obs:          queryObservation{generation: 4, desired: 0, deployment: deployment(2, 2, 0, 0, 0)},
			wantConds:    []cond{{"Ready", "True", "ScaledToZero"}},
			wantPhase:    v1alpha1.QuerySuspended,
			wantObserved: 4,
		},
		{
			name:         "suspended",
			obs:          queryObservation{generation: 5, suspended: true, deployment: deployment(3, 3, 0, 0, 0)},
			wantConds:    []cond{{"Ready", "False", "Suspended"}},
			wantPhase:    v1alpha1.QuerySuspended,
			wantObserved: 5,
		},
		{
			name: "invalid SQL",
			obs: queryObservation{generation: 6, deployment: deployment(2, 2, 1, 1, 1),
				sqlErrors: []v1alpha1.SQLError{{Line: 2, Column: 7, Message: "unknown column x"}}},
			wantConds:    []cond{{"Ready", "False", "InvalidSQL"}, {"Stalled", "True", "InvalidSQL"}},
			wantPhase:    v1alpha1.QueryFailed,
			wantObserved: 6, wantReady: 1,
		},
		{
			name:         "sqlFrom missing",
			obs:          queryObservation{generation: 6, sqlSourceErr: `spec.sqlFrom: ConfigMap "x" not found`},
			wantConds:    []cond{{"Ready", "False", "SQLSourceNotFound"}, {"Stalled", "True", "SQLSourceNotFound"}},
			wantPhase:    v1alpha1.QueryFailed,
			wantObserved: 6,
		},
		{
			name:         "forced monitoring API missing",
			obs:          queryObservation{generation: 6, monitoringErr: "no ServiceMonitor", deployment: deployment(1, 1, 1, 1, 1)},
			wantConds:    []cond{{"Ready", "False", "MonitoringAPIMissing"}, {"Stalled", "True", "MonitoringAPIMissing"}},
			wantPhase:    v1alpha1.QueryFailed,
			wantObserved: 6, wantReady: 1,
		},
		{
			name:         "rollout stalled",
			obs:          queryObservation{generation: 7, desired: 1, deployment: stalledDep},
			wantConds:    []cond{{"Ready", "False", "RolloutStalled"}, {"Stalled", "True", "RolloutStalled"}},
			wantPhase:    v1alpha1.QueryFailed,
			wantObserved: 7,
		},
		{
			name:         "apply failed: retried, generation not observed",
			obs:          queryObservation{generation: 8, applyErr: errors.New("apply Deployment q: connection refused")},
			wantConds:    []cond{{"Ready", "False", "ReconciliationFailed"}, {"Reconciling", "True", "ReconciliationFailed"}},
			wantPhase:    v1alpha1.QueryPending,
			wantObserved: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := computeQueryStatus(v1alpha1.StreamingQueryStatus{}, tt.obs, now)
			if got := conds(st.Conditions); !equalConds(got, tt.wantConds) {
				t.Errorf("conditions = %v, want %v", got, tt.wantConds)
			}
			if st.Phase != tt.wantPhase || st.ObservedGeneration != tt.wantObserved || st.ReadyReplicas != tt.wantReady {
				t.Errorf("phase, observedGeneration, readyReplicas = %s, %d, %d; want %s, %d, %d",
					st.Phase, st.ObservedGeneration, st.ReadyReplicas, tt.wantPhase, tt.wantObserved, tt.wantReady)
			}
			if (st.MetricsEndpoint != "") != tt.wantEndpoint {
				t.Errorf("metricsEndpoint = %q", st.MetricsEndpoint)
			}
			if (len(st.SQLErrors) > 0) != (len(tt.obs.sqlErrors) > 0) {
				t.Errorf("sqlErrors = %v", st.SQLErrors)
			}
			for _, c := range st.Conditions {
				if c.ObservedGeneration != tt.obs.generation || !c.LastTransitionTime.Equal(&now) || c.Message == "" {
					t.Errorf("condition %+v: want generation %d, time %v and a message", c, tt.obs.generation, now)
				}
			}
		})
	}
}

func equalConds(a, b []cond) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A second reconcile that sees the same thing must produce an identical
// status (the controller then writes nothing), and a transition must keep
// other conditions' timestamps.
func TestComputeQueryStatusIsStable(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Hour))
	obs := queryObservation{generation: 2, desired: 1, deployment: deployment(1, 1, 1, 1, 1)}
	first := computeQueryStatus(v1alpha1.StreamingQueryStatus{}, obs, t0)
	second := computeQueryStatus(first, obs, t1)
	if !apimeta.IsStatusConditionTrue(second.Conditions, "Ready") {
		t.Fatal("not ready")
	}
	if got := apimeta.FindStatusCondition(second.Conditions, "Ready").LastTransitionTime; !got.Equal(&t0) {
		t.Errorf("an unchanged Ready condition moved its transition time to %v", got)
	}
	invalid := obs
	invalid.sqlErrors = []v1alpha1.SQLError{{Line: 1, Column: 1, Message: "x"}}
	third := computeQueryStatus(second, invalid, t1)
	if got := apimeta.FindStatusCondition(third.Conditions, "Ready").LastTransitionTime; !got.Equal(&t1) {
		t.Errorf("Ready turned False but kept its old transition time %v", got)
	}
	// Fixing the SQL clears the errors and Stalled.
	fourth := computeQueryStatus(third, obs, t1)
	if len(fourth.SQLErrors) != 0 || apimeta.FindStatusCondition(fourth.Conditions, "Stalled") != nil {
		t.Errorf("fixed SQL left %v / %v", fourth.SQLErrors, fourth.Conditions)
	}
}

func TestSQLErrorsMessage(t *testing.T) {
	tests := []struct {
		errs []v1alpha1.SQLError
		want string
	}{
		{[]v1alpha1.SQLError{{Line: 3, Column: 9, Message: "unknown column \"x\""}}, `1 error in the SQL: line 3, column 9: unknown column "x"`},
		{[]v1alpha1.SQLError{{Message: "empty"}, {Line: 2, Column: 1, Message: "b"}}, "2 errors in the SQL, the first: empty"},
	}
	for _, tt := range tests {
		if got := sqlErrorsMessage(tt.errs); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestCheckSQL(t *testing.T) {
	tests := []struct {
		name     string
		sql      string
		wantLine int32
		wantMsg  string
	}{
		{"valid", "SELECT symbol, price FROM trades WITH ('trades.type' = 'kafka_source', 'trades.topic' = 't');", 0, ""},
		{"syntax error has its position", "SELECT symbol\nFROM trades\nWHERE price >;", 3, ""},
		{"unbound source: a runner has no --source", "SELECT symbol FROM trades;", 1, "not bound"},
		{"bad annotation is positioned", "-- @metric: m\n-- @metric_type: bogus\nSELECT symbol FROM trades WITH ('trades.type' = 'kafka_source', 'trades.topic' = 't');", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checked, errs := CheckSQL(tt.sql)
			if tt.wantLine == 0 {
				if len(errs) > 0 || checked == nil {
					t.Fatalf("CheckSQL = %v", errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatal("CheckSQL accepted invalid SQL")
			}
			if errs[0].Line != tt.wantLine || errs[0].Column < 1 {
				t.Errorf("first error at %d:%d, want line %d: %s", errs[0].Line, errs[0].Column, tt.wantLine, errs[0].Message)
			}
			if !strings.Contains(errs[0].Message, tt.wantMsg) {
				t.Errorf("message %q does not mention %q", errs[0].Message, tt.wantMsg)
			}
		})
	}
}

func TestCheckSQLCapsErrors(t *testing.T) {
	sql := strings.Repeat("SELECT FROM;\n", 200)
	_, errs := CheckSQL(sql)
	if len(errs) != maxSQLErrors {
		t.Fatalf("%d errors, want the cap %d", len(errs), maxSQLErrors)
	}
	if !strings.Contains(errs[maxSQLErrors-1].Message, "more errors") {
		t.Errorf("the last error does not say errors were left out: %q", errs[maxSQLErrors-1].Message)
	}
}

func TestReadyTransition(t *testing.T) {
	ready := []metav1.Condition{{Type: "Ready", Status: "True", Reason: "Succeeded"}}
	progressing := []metav1.Condition{{Type: "Ready", Status: "False", Reason: "Progressing"}}
	invalid := []metav1.Condition{{Type: "Ready", Status: "False", Reason: "InvalidSQL", Message: "m"}}
	tests := []struct {
		name          string
		prev, next    []metav1.Condition
		changed, warn bool
	}{
		{"first status", nil, progressing, true, false},
		{"no change", ready, ready, false, false},
		{"became ready", progressing, ready, true, false},
		{"became invalid", ready, invalid, true, true},
	}
	for _, tt := range tests {
		changed, warn, _, _ := readyTransition(tt.prev, tt.next)
		if changed != tt.changed || warn != tt.warn {
			t.Errorf("%s: changed, warning = %v, %v; want %v, %v", tt.name, changed, warn, tt.changed, tt.warn)
		}
	}
}

func TestComputeNotebookStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	query := func(phase v1alpha1.QueryPhase, gen, observed int64, stalledMsg string) *v1alpha1.StreamingQuery {
		q := &v1alpha1.StreamingQuery{ObjectMeta: metav1.ObjectMeta{Name: "nb-c", Generation: gen}}
		q.Status.Phase = phase
		q.Status.ObservedGeneration = observed
		if stalledMsg != "" {
			q.Status.Conditions = []metav1.Condition{{Type: "Stalled", Status: "True", Reason: "InvalidSQL", Message: stalledMsg}}
		}
		return q
	}
	tests := []struct {
		name       string
		cells      []cellObservation
		applyErr   error
		wantConds  []cond
		wantPhases []v1alpha1.CellPhase
	}{
		{
			name:       "drafts only",
			cells:      []cellObservation{{name: "a"}, {name: "b"}},
			wantConds:  []cond{{"Ready", "True", "Succeeded"}},
			wantPhases: []v1alpha1.CellPhase{v1alpha1.CellDraft, v1alpha1.CellDraft},
		},
		{
			name:       "running and pending",
			cells:      []cellObservation{{name: "a", deployed: true, query: query(v1alpha1.QueryRunning, 1, 1, "")}, {name: "b", deployed: true, query: query(v1alpha1.QueryRunning, 2, 1, "")}},
			wantConds:  []cond{{"Ready", "False", "Progressing"}, {"Reconciling", "True", "Progressing"}},
			wantPhases: []v1alpha1.CellPhase{v1alpha1.CellRunning, v1alpha1.CellPending},
		},
		{
			name:       "all running",
			cells:      []cellObservation{{name: "a", deployed: true, query: query(v1alpha1.QueryRunning, 1, 1, "")}, {name: "d"}},
			wantConds:  []cond{{"Ready", "True", "Succeeded"}},
			wantPhases: []v1alpha1.CellPhase{v1alpha1.CellRunning, v1alpha1.CellDraft},
		},
		{
			name:       "a failed cell stalls the notebook",
			cells:      []cellObservation{{name: "a", deployed: true, query: query(v1alpha1.QueryFailed, 1, 1, "1 error in the SQL")}},
			wantConds:  []cond{{"Ready", "False", "CellsNotReady"}, {"Stalled", "True", "CellsNotReady"}},
			wantPhases: []v1alpha1.CellPhase{v1alpha1.CellFailed},
		},
		{
			name:       "apply failed",
			cells:      []cellObservation{{name: "a", deployed: true}},
			applyErr:   errors.New("boom"),
			wantConds:  []cond{{"Ready", "False", "ReconciliationFailed"}, {"Reconciling", "True", "ReconciliationFailed"}},
			wantPhases: []v1alpha1.CellPhase{v1alpha1.CellPending},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := computeNotebookStatus(v1alpha1.NotebookStatus{}, 3, tt.cells, tt.applyErr, now)
			if got := conds(st.Conditions); !equalConds(got, tt.wantConds) {
				t.Errorf("conditions = %v, want %v", got, tt.wantConds)
			}
			for i, want := range tt.wantPhases {
				if st.Cells[i].Phase != want {
					t.Errorf("cell %s phase = %s, want %s", st.Cells[i].Name, st.Cells[i].Phase, want)
				}
			}
			if tt.applyErr == nil && st.ObservedGeneration != 3 {
				t.Errorf("observedGeneration = %d", st.ObservedGeneration)
			}
		})
	}
}
