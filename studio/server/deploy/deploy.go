// Package deploy turns a notebook (or one SQL text) into what runs it on
// Kubernetes, shows that as a deploy summary, and applies it.
//
// Takes: a Notebook and the cells to deploy, or a SQL text and a query
// name; the SQL already made self-contained (its sources declared, see the
// Studio's catalog). Gives: a Plan listing every object the deploy results
// in, built by the operator's own builders (controllers.MakeCellQuery,
// MakeServiceMonitor, MakePrometheusRule, MakeNotebookDashboard), so the
// summary is exactly what the operator will create; and Apply, which
// server-side applies the one object the Studio owns (the Notebook, or the
// StreamingQuery) and reports what changed. The operator makes the rest.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/observability/annotations"
	"github.com/velostream/velostream/studio/notebooks"
)

// FieldOwner is the field manager of the Studio's server-side applies.
const FieldOwner = "velo-studio"

// Roles of the objects of a plan.
const (
	// RoleApplied is the object the Studio applies itself.
	RoleApplied = "applied"
	// RoleOperator objects are made by the operator from the applied one.
	RoleOperator = "operator"
)

// Object is one object of a deploy.
type Object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
	Role       string `json:"role"`
	// Cell is the notebook cell the object comes from, if any.
	Cell string `json:"cell,omitempty"`
	// Action is what the deploy does to it: create, update or unchanged
	// when the cluster was read (dry run), created, configured or
	// unchanged once applied; "" when no cluster is known.
	Action string `json:"action,omitempty"`
	YAML   string `json:"yaml"`

	obj client.Object
}

// Summary counts what a deploy creates, as the product brief's deploy
// summary shows it.
type Summary struct {
	Notebook   string        `json:"notebook,omitempty"`
	Title      string        `json:"title,omitempty"`
	Queries    int           `json:"queries"`
	Metrics    int           `json:"metrics"`
	Alerts     int           `json:"alerts"`
	Dashboards int           `json:"dashboards"`
	Cells      []CellSummary `json:"cells,omitempty"`
}

// CellSummary is one deployed cell (or the one query of a SQL deploy).
type CellSummary struct {
	Cell    string   `json:"cell,omitempty"`
	Query   string   `json:"query"`
	Metrics []string `json:"metrics"`
	Alerts  []string `json:"alerts"`
}

// Plan is a deploy: what it creates, and (after Apply) what changed.
type Plan struct {
	DryRun  bool     `json:"dryRun"`
	Summary Summary  `json:"summary"`
	Objects []Object `json:"objects"`
	// YAML is the applied object as a document `kubectl apply -f` takes:
	// without a cluster, the user deploys with it.
	YAML string `json:"yaml"`
	// Applied is set once applied.
	Applied bool `json:"applied"`
}

// CellError is the SQL errors of one cell that stop a deploy.
type CellError struct {
	Cell   string      `json:"cell,omitempty"`
	Errors []diag.JSON `json:"errors"`
}

// InvalidError stops a deploy whose SQL does not compile as the operator
// would compile it.
type InvalidError struct{ Cells []CellError }

func (e *InvalidError) Error() string {
	var parts []string
	for _, c := range e.Cells {
		where := "the query"
		if c.Cell != "" {
			where = "cell " + c.Cell
		}
		msg := "no errors"
		if len(c.Errors) > 0 {
			msg = fmt.Sprintf("%d:%d: %s", c.Errors[0].Line, c.Errors[0].Col, c.Errors[0].Message)
		}
		parts = append(parts, where+": "+msg)
	}
	return "cannot deploy: " + strings.Join(parts, "; ")
}

// ErrNothingToDeploy is returned for a notebook with no cell to deploy.
var ErrNothingToDeploy = errors.New("no cell to deploy: name cells, or mark them deploy: true")

// Materializer makes a cell's SQL self-contained (declaring the streams it
// reads) and says how many lines it put before the user's text, so that
// errors are reported at the user's lines.
type Materializer func(sql string) (out string, linesBefore int)

// NotebookPlan plans deploying cells of nb (all cells already marked
// deploy when cells is empty) in namespace. materialize (may be nil) makes
// a cell's SQL self-contained; kafka, when set, becomes the notebook's
// Kafka default.
func NotebookPlan(nb *v1alpha1.Notebook, cells []string, namespace string, kafka *v1alpha1.KafkaConnection, materialize Materializer) (*Plan, error) {
	nb = nb.DeepCopy()
	nb.Namespace = namespace
	nb.ResourceVersion, nb.UID, nb.Generation, nb.CreationTimestamp, nb.ManagedFields = "", "", 0, metav1.Time{}, nil
	nb.Status = v1alpha1.NotebookStatus{}
	nb.TypeMeta = metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.NotebookKind}
	if kafka != nil {
		if nb.Spec.Defaults == nil {
			nb.Spec.Defaults = &v1alpha1.NotebookDefaults{}
		}
		nb.Spec.Defaults.Kafka = kafka.DeepCopy()
	}
	for _, name := range cells {
		if !slices.ContainsFunc(nb.Spec.Cells, func(c v1alpha1.NotebookCell) bool { return c.Name == name }) {
			return nil, fmt.Errorf("notebook %s has no cell %q", nb.Name, name)
		}
	}
	p := &Plan{Summary: Summary{Notebook: nb.Name, Title: nb.Spec.Title}}
	var bad []CellError
	var children []Object
	for i := range nb.Spec.Cells {
		c := &nb.Spec.Cells[i]
		if slices.Contains(cells, c.Name) {
			c.Deploy = true
		}
		if !c.Deploy {
			continue
		}
		shift := 0
		if materialize != nil {
			c.SQL, shift = materialize(c.SQL)
		}
		checked, errs := controllers.CheckSQL(c.SQL)
		if len(errs) > 0 {
			bad = append(bad, CellError{Cell: c.Name, Errors: sqlErrors(errs, shift)})
			continue
		}
		q := controllers.MakeCellQuery(nb, c)
		cs, objs, err := queryObjects(q, checked.Spec, c.Name, monitoringOf(nb), false)
		if err != nil {
			return nil, err
		}
		p.Summary.Cells = append(p.Summary.Cells, cs)
		children = append(children, objs...)
	}
	if len(bad) > 0 {
		return nil, &InvalidError{Cells: bad}
	}
	if len(p.Summary.Cells) == 0 {
		return nil, ErrNothingToDeploy
	}
	// The materialised SQL and deploy flags must still fit the CRD.
	if err := notebooks.Validate(nb); err != nil {
		return nil, err
	}
	applied, err := object(nb, RoleApplied, "")
	if err != nil {
		return nil, err
	}
	p.Objects = append([]Object{applied}, children...)
	if cm, err := controllers.MakeNotebookDashboard(nb); err != nil {
		return nil, err
	} else if cm != nil && wants(monitoringOf(nb), func(m *v1alpha1.MonitoringSpec) *bool { return m.Dashboard }) {
		o, err := object(cm, RoleOperator, "")
		if err != nil {
			return nil, err
		}
		p.Objects = append(p.Objects, o)
	}
	p.YAML = applied.YAML
	p.count()
	return p, nil
}

// QueryPlan plans deploying one SQL text as the StreamingQuery name.
func QueryPlan(sql, name, namespace string, kafka *v1alpha1.KafkaConnection, materialize Materializer) (*Plan, error) {
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
		return nil, fmt.Errorf("query name %q: %s", name, strings.Join(msgs, "; "))
	}
	shift := 0
	if materialize != nil {
		sql, shift = materialize(sql)
	}
	checked, errs := controllers.CheckSQL(sql)
	if len(errs) > 0 {
		return nil, &InvalidError{Cells: []CellError{{Errors: sqlErrors(errs, shift)}}}
	}
	q := &v1alpha1.StreamingQuery{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.StreamingQueryKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{"app.kubernetes.io/created-by": FieldOwner}},
		Spec:       v1alpha1.StreamingQuerySpec{SQL: sql, Replicas: ptr.To[int32](1), Kafka: kafka.DeepCopy()},
	}
	cs, objs, err := queryObjects(q, checked.Spec, "", nil, true)
	if err != nil {
		return nil, err
	}
	p := &Plan{Summary: Summary{Cells: []CellSummary{cs}}, Objects: objs, YAML: objs[0].YAML}
	p.count()
	return p, nil
}

// queryObjects are a query and the monitoring the operator makes for it.
func queryObjects(q *v1alpha1.StreamingQuery, spec *annotations.Spec, cell string, mon *v1alpha1.MonitoringSpec, applied bool) (CellSummary, []Object, error) {
	cs := CellSummary{Cell: cell, Query: q.Name, Metrics: []string{}, Alerts: []string{}}
	for _, m := range spec.Metrics {
		cs.Metrics = append(cs.Metrics, m.Series())
	}
	for _, a := range spec.Alerts {
		cs.Alerts = append(cs.Alerts, a.Name)
	}
	role := RoleOperator
	if applied {
		role = RoleApplied
	}
	qo, err := object(q, role, cell)
	if err != nil {
		return cs, nil, err
	}
	out := []Object{qo}
	add := func(obj client.Object) error {
		o, err := object(obj, RoleOperator, cell)
		if err == nil {
			out = append(out, o)
		}
		return err
	}
	if wants(mon, func(m *v1alpha1.MonitoringSpec) *bool { return m.ServiceMonitor }) {
		if err := add(controllers.MakeServiceMonitor(q)); err != nil {
			return cs, nil, err
		}
	}
	if wants(mon, func(m *v1alpha1.MonitoringSpec) *bool { return m.PrometheusRule }) {
		if pr := controllers.MakePrometheusRule(q, spec); pr != nil {
			if err := add(pr); err != nil {
				return cs, nil, err
			}
		}
	}
	// A notebook's cells share one dashboard (added by NotebookPlan); a
	// query deployed on its own has its own.
	if applied && wants(mon, func(m *v1alpha1.MonitoringSpec) *bool { return m.Dashboard }) {
		cm, err := controllers.MakeDashboardConfigMap(q, spec)
		if err != nil {
			return cs, nil, err
		}
		if err := add(cm); err != nil {
			return cs, nil, err
		}
	}
	return cs, out, nil
}

func monitoringOf(nb *v1alpha1.Notebook) *v1alpha1.MonitoringSpec {
	if nb.Spec.Defaults == nil {
		return nil
	}
	return nb.Spec.Defaults.Monitoring
}

// wants reads one switch of a MonitoringSpec: unset means on.
func wants(m *v1alpha1.MonitoringSpec, field func(*v1alpha1.MonitoringSpec) *bool) bool {
	if m == nil {
		return true
	}
	v := field(m)
	return v == nil || *v
}

func (p *Plan) count() {
	for _, c := range p.Summary.Cells {
		p.Summary.Queries++
		p.Summary.Metrics += len(c.Metrics)
		p.Summary.Alerts += len(c.Alerts)
	}
	for _, o := range p.Objects {
		if o.Kind == "ConfigMap" {
			p.Summary.Dashboards++
		}
	}
}

// sqlErrors converts the operator's errors, moving them back by the lines
// the materializer added (an error inside those lines stays at line 0:
// it is in no line the user wrote).
func sqlErrors(errs []v1alpha1.SQLError, shift int) []diag.JSON {
	out := make([]diag.JSON, len(errs))
	for i, e := range errs {
		line := max(int(e.Line)-shift, 0)
		col := int(e.Column)
		if line == 0 {
			col = 0
		}
		out[i] = diag.JSON{Line: line, Col: col, EndLine: line, EndCol: col, Message: e.Message}
	}
	return out
}

// object renders obj for the plan: its identity and YAML without the
// fields a server sets.
func object(obj client.Object, role, cell string) (Object, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return Object{}, fmt.Errorf("%s: %w", obj.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: m}
	delete(u.Object, "status")
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		return Object{}, fmt.Errorf("%s: %w", obj.GetName(), err)
	}
	return Object{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Name: obj.GetName(), Namespace: obj.GetNamespace(),
		Role: role, Cell: cell, YAML: string(b), obj: obj}, nil
}

// Diff reads the cluster and sets each object's Action for a dry run:
// create when it does not exist, unchanged when the applied object's spec
// is what the cluster holds, update otherwise. Objects of kinds the
// cluster does not serve (no prometheus-operator) are dropped: the
// operator will not make them either.
func (p *Plan) Diff(ctx context.Context, c client.Client) error {
	kept := p.Objects[:0]
	for _, o := range p.Objects {
		cur := emptyLike(o.obj)
		err := c.Get(ctx, client.ObjectKeyFromObject(o.obj), cur)
		switch {
		case err == nil:
			o.Action = "update"
			if o.Role == RoleApplied && sameSpec(o.obj, cur) {
				o.Action = "unchanged"
			}
		case apierrors.IsNotFound(err):
			o.Action = "create"
		case isNoKind(err):
			continue
		default:
			return fmt.Errorf("reading %s %s: %w", o.Kind, o.Name, err)
		}
		kept = append(kept, o)
	}
	p.Objects = kept
	return nil
}

// Apply server-side applies the plan's applied object and reports for it
// created, configured or unchanged. The operator's objects are left to the
// operator; their Action says whether they exist yet.
func (p *Plan) Apply(ctx context.Context, c client.Client) error {
	if err := p.Diff(ctx, c); err != nil {
		return err
	}
	for i := range p.Objects {
		o := &p.Objects[i]
		if o.Role != RoleApplied {
			continue
		}
		before := emptyLike(o.obj)
		existed := c.Get(ctx, client.ObjectKeyFromObject(o.obj), before) == nil
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(o.YAML), &u.Object); err != nil {
			return err
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
		switch {
		case !existed:
			o.Action = "created"
		case u.GetResourceVersion() == before.GetResourceVersion():
			o.Action = "unchanged"
		default:
			o.Action = "configured"
		}
	}
	p.Applied = true
	return nil
}

func emptyLike(obj client.Object) client.Object {
	switch obj.(type) {
	case *v1alpha1.Notebook:
		return &v1alpha1.Notebook{}
	case *v1alpha1.StreamingQuery:
		return &v1alpha1.StreamingQuery{}
	case *monitoringv1.ServiceMonitor:
		return &monitoringv1.ServiceMonitor{}
	case *monitoringv1.PrometheusRule:
		return &monitoringv1.PrometheusRule{}
	case *corev1.ConfigMap:
		return &corev1.ConfigMap{}
	}
	return obj.DeepCopyObject().(client.Object)
}

func sameSpec(want, cur client.Object) bool {
	switch w := want.(type) {
	case *v1alpha1.Notebook:
		return apiequality.Semantic.DeepEqual(w.Spec, cur.(*v1alpha1.Notebook).Spec)
	case *v1alpha1.StreamingQuery:
		return apiequality.Semantic.DeepEqual(w.Spec, cur.(*v1alpha1.StreamingQuery).Spec)
	}
	return false
}

func isNoKind(err error) bool { return meta.IsNoMatchError(err) }
