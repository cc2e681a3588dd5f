package controllers_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/runner"
)

const validSQL = `-- @metric: big_trades
-- @alert: big_trades > 100
SELECT symbol, price
FROM trades
WHERE price > 0
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');
`

const otherValidSQL = `SELECT symbol, price * 2 AS doubled
FROM trades
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');
`

// invalidSQL has an error on line 2, column 8 (the unknown function).
const invalidSQL = `SELECT symbol,
       NO_SUCH_FN(price) AS p
FROM trades
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');
`

var ctx = context.Background()

func newQuery(ns, name, sql string) *v1alpha1.StreamingQuery {
	return &v1alpha1.StreamingQuery{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.StreamingQuerySpec{SQL: sql},
	}
}

// fetch reads an object, failing the spec on any error.
func fetch[T client.Object](c *cluster, ns, name string, obj T) T {
	GinkgoHelper()
	Expect(c.client.Get(ctx, key(ns, name), obj)).To(Succeed())
	return obj
}

// queryStatus polls a query's status.
func queryStatus(c *cluster, ns, name string) func() v1alpha1.StreamingQueryStatus {
	return func() v1alpha1.StreamingQueryStatus {
		q := &v1alpha1.StreamingQuery{}
		if err := c.client.Get(ctx, key(ns, name), q); err != nil {
			return v1alpha1.StreamingQueryStatus{}
		}
		return q.Status
	}
}

// HaveCondition matches a status whose condition typ has the given status
// and reason.
func HaveCondition(typ string, status metav1.ConditionStatus, reason string) OmegaMatcher {
	return WithTransform(func(conds []metav1.Condition) *metav1.Condition {
		return apimeta.FindStatusCondition(conds, typ)
	}, And(Not(BeNil()), PointTo(MatchFields(IgnoreExtras, Fields{"Status": Equal(status), "Reason": Equal(reason)}))))
}

// markAvailable plays the kubelet and the Deployment controller, which
// envtest does not run: it reports every desired replica of the current
// pod template as available.
func markAvailable(c *cluster, ns, name string) {
	GinkgoHelper()
	Eventually(func() error {
		d := &appsv1.Deployment{}
		if err := c.client.Get(ctx, key(ns, name), d); err != nil {
			return err
		}
		n := ptr.Deref(d.Spec.Replicas, 1)
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n,
			ReadyReplicas: n, AvailableReplicas: n,
		}
		return c.client.Status().Update(ctx, d)
	}).Should(Succeed())
}

func podHash(c *cluster, ns, name string) func() string {
	return func() string {
		d := &appsv1.Deployment{}
		if err := c.client.Get(ctx, key(ns, name), d); err != nil {
			return ""
		}
		return d.Spec.Template.Annotations[controllers.AnnotationInputHash]
	}
}

func kstatusOf(obj runtime.Object) kstatus.Status {
	GinkgoHelper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	Expect(err).NotTo(HaveOccurred())
	res, err := kstatus.Compute(&unstructured.Unstructured{Object: m})
	Expect(err).NotTo(HaveOccurred())
	return res.Status
}

// expectOwnedBy checks the controller owner reference that lets the
// garbage collector delete a child with its query.
func expectOwnedBy(child client.Object, owner client.Object, kind string) {
	GinkgoHelper()
	ref := metav1.GetControllerOf(child)
	Expect(ref).NotTo(BeNil(), "%s has no controller owner", child.GetName())
	Expect(ref.UID).To(Equal(owner.GetUID()))
	Expect(ref.Kind).To(Equal(kind))
	Expect(ref.APIVersion).To(Equal(v1alpha1.GroupVersion.String()))
	Expect(ptr.Deref(ref.BlockOwnerDeletion, false)).To(BeTrue())
}

var _ = Describe("StreamingQuery", func() {
	var c *cluster
	var ns string
	BeforeEach(func() {
		c = withMonitoring
		ns = c.newNamespace()
	})

	It("creates the runner's ConfigMap, Deployment and Service, and reports Ready once the runners are", func() {
		q := newQuery(ns, "trades", validSQL)
		q.Spec.Replicas = ptr.To[int32](2)
		Expect(c.client.Create(ctx, q)).To(Succeed())

		By("reporting progress while the runners start")
		Eventually(queryStatus(c, ns, "trades")).Should(And(
			HaveField("Conditions", HaveCondition("Reconciling", metav1.ConditionTrue, "Progressing")),
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "Progressing")),
			HaveField("Phase", v1alpha1.QueryPending),
		))
		q = fetch(c, ns, "trades", &v1alpha1.StreamingQuery{})
		Expect(kstatusOf(q)).To(Equal(kstatus.InProgressStatus))

		cm := fetch(c, ns, "trades-query", &corev1.ConfigMap{})
		cfg, err := runner.ParseConfig([]byte(cm.Data[runner.ConfigKey]))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.SQL).To(Equal(validSQL))
		dep := fetch(c, ns, "trades", &appsv1.Deployment{})
		Expect(*dep.Spec.Replicas).To(Equal(int32(2)))
		Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(runnerImage))
		Expect(dep.Spec.Template.Spec.Containers[0].Args).To(ContainElements("runner", "--config", runner.ConfigPath))
		svc := fetch(c, ns, "trades", &corev1.Service{})
		for _, child := range []client.Object{cm, dep, svc} {
			expectOwnedBy(child, q, v1alpha1.StreamingQueryKind)
		}

		By("making the monitoring objects the cluster serves")
		Eventually(func() error {
			return c.client.Get(ctx, key(ns, "trades"), &monitoringv1.ServiceMonitor{})
		}).Should(Succeed())
		sm := fetch(c, ns, "trades", &monitoringv1.ServiceMonitor{})
		expectOwnedBy(sm, q, v1alpha1.StreamingQueryKind)
		Expect(sm.Spec.Selector.MatchLabels).To(HaveKeyWithValue(controllers.LabelQuery, "trades"))
		rule := fetch(c, ns, "trades", &monitoringv1.PrometheusRule{})
		expectOwnedBy(rule, q, v1alpha1.StreamingQueryKind)
		Expect(rule.Spec.Groups).NotTo(BeEmpty())
		dash := fetch(c, ns, "trades-dashboard", &corev1.ConfigMap{})
		expectOwnedBy(dash, q, v1alpha1.StreamingQueryKind)
		Expect(dash.Labels).To(HaveKeyWithValue("grafana_dashboard", "1"))

		By("reporting Ready, Running and Current when the Deployment is available")
		markAvailable(c, ns, "trades")
		Eventually(queryStatus(c, ns, "trades")).Should(And(
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionTrue, "Succeeded")),
			HaveField("Phase", v1alpha1.QueryRunning),
			HaveField("ReadyReplicas", int32(2)),
			HaveField("ObservedGeneration", q.Generation),
			HaveField("MetricsEndpoint", "http://trades."+ns+".svc:9090/metrics"),
		))
		q = fetch(c, ns, "trades", &v1alpha1.StreamingQuery{})
		Expect(apimeta.FindStatusCondition(q.Status.Conditions, "Reconciling")).To(BeNil())
		Expect(apimeta.FindStatusCondition(q.Status.Conditions, "Ready").LastTransitionTime.Time).To(BeTemporally("==", fakeNow),
			"transition times come from the injected clock")
		Expect(kstatusOf(q)).To(Equal(kstatus.CurrentStatus))
	})

	It("rolls the runners when the SQL changes, and not when only replicas change", func() {
		Expect(c.client.Create(ctx, newQuery(ns, "roll", validSQL))).To(Succeed())
		Eventually(podHash(c, ns, "roll")).ShouldNot(BeEmpty())
		before := podHash(c, ns, "roll")()

		q := fetch(c, ns, "roll", &v1alpha1.StreamingQuery{})
		q.Spec.Replicas = ptr.To[int32](3)
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(func() int32 {
			return ptr.Deref(fetch(c, ns, "roll", &appsv1.Deployment{}).Spec.Replicas, 0)
		}).Should(Equal(int32(3)))
		Expect(podHash(c, ns, "roll")()).To(Equal(before), "scaling must not restart the pods")

		q = fetch(c, ns, "roll", &v1alpha1.StreamingQuery{})
		q.Spec.SQL = otherValidSQL
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(podHash(c, ns, "roll")).ShouldNot(Equal(before))
		Eventually(func() string {
			return fetch(c, ns, "roll-query", &corev1.ConfigMap{}).Data[runner.ConfigKey]
		}).Should(ContainSubstring("doubled"))

		By("restarting the pods when the restart nonce changes")
		afterSQL := podHash(c, ns, "roll")()
		q = fetch(c, ns, "roll", &v1alpha1.StreamingQuery{})
		q.Spec.RestartNonce = "now"
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(podHash(c, ns, "roll")).ShouldNot(Equal(afterSQL))
	})

	It("reports invalid SQL with positions and touches no runner", func() {
		Expect(c.client.Create(ctx, newQuery(ns, "bad", invalidSQL))).To(Succeed())
		Eventually(queryStatus(c, ns, "bad")).Should(And(
			HaveField("Conditions", HaveCondition("Stalled", metav1.ConditionTrue, "InvalidSQL")),
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "InvalidSQL")),
			HaveField("Phase", v1alpha1.QueryFailed),
			HaveField("SQLErrors", ContainElement(MatchFields(IgnoreExtras, Fields{
				"Line": Equal(int32(2)), "Column": Equal(int32(8)), "Message": ContainSubstring("NO_SUCH_FN"),
			}))),
		))
		q := fetch(c, ns, "bad", &v1alpha1.StreamingQuery{})
		Expect(kstatusOf(q)).To(Equal(kstatus.FailedStatus))
		Consistently(func() bool {
			return apierrors.IsNotFound(c.client.Get(ctx, key(ns, "bad"), &appsv1.Deployment{}))
		}, 2*time.Second).Should(BeTrue(), "no runner for invalid SQL")

		By("leaving a running query's runners alone when its SQL turns invalid")
		Expect(c.client.Create(ctx, newQuery(ns, "good", validSQL))).To(Succeed())
		Eventually(podHash(c, ns, "good")).ShouldNot(BeEmpty())
		hash := podHash(c, ns, "good")()
		q = fetch(c, ns, "good", &v1alpha1.StreamingQuery{})
		q.Spec.SQL = invalidSQL
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(queryStatus(c, ns, "good")).Should(HaveField("Conditions", HaveCondition("Stalled", metav1.ConditionTrue, "InvalidSQL")))
		Expect(podHash(c, ns, "good")()).To(Equal(hash))
		Expect(fetch(c, ns, "good-query", &corev1.ConfigMap{}).Data[runner.ConfigKey]).To(ContainSubstring("price > 0"))

		By("recovering when the SQL is fixed")
		q = fetch(c, ns, "good", &v1alpha1.StreamingQuery{})
		q.Spec.SQL = otherValidSQL
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(queryStatus(c, ns, "good")).Should(And(
			HaveField("SQLErrors", BeEmpty()),
			HaveField("Conditions", Not(ContainElement(HaveField("Type", "Stalled")))),
		))
	})

	It("scales to zero while suspended and back when resumed", func() {
		q := newQuery(ns, "pause", validSQL)
		q.Spec.Replicas = ptr.To[int32](2)
		Expect(c.client.Create(ctx, q)).To(Succeed())
		Eventually(podHash(c, ns, "pause")).ShouldNot(BeEmpty())

		q = fetch(c, ns, "pause", &v1alpha1.StreamingQuery{})
		q.Spec.Suspend = true
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(func() int32 {
			return ptr.Deref(fetch(c, ns, "pause", &appsv1.Deployment{}).Spec.Replicas, -1)
		}).Should(Equal(int32(0)))
		Eventually(queryStatus(c, ns, "pause")).Should(And(
			HaveField("Phase", v1alpha1.QuerySuspended),
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "Suspended")),
		))

		q = fetch(c, ns, "pause", &v1alpha1.StreamingQuery{})
		q.Spec.Suspend = false
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(func() int32 {
			return ptr.Deref(fetch(c, ns, "pause", &appsv1.Deployment{}).Spec.Replicas, -1)
		}).Should(Equal(int32(2)))
		markAvailable(c, ns, "pause")
		Eventually(queryStatus(c, ns, "pause")).Should(HaveField("Phase", v1alpha1.QueryRunning))
	})

	It("puts back a hand-edited Deployment and a deleted ConfigMap", func() {
		Expect(c.client.Create(ctx, newQuery(ns, "drift", validSQL))).To(Succeed())
		Eventually(podHash(c, ns, "drift")).ShouldNot(BeEmpty())

		dep := fetch(c, ns, "drift", &appsv1.Deployment{})
		dep.Spec.Template.Spec.Containers[0].Image = "evil/image:latest"
		dep.Spec.Replicas = ptr.To[int32](5)
		Expect(c.client.Update(ctx, dep, client.FieldOwner("kubectl-edit"))).To(Succeed())
		Eventually(func() string {
			return fetch(c, ns, "drift", &appsv1.Deployment{}).Spec.Template.Spec.Containers[0].Image
		}).Should(Equal(runnerImage))
		Expect(*fetch(c, ns, "drift", &appsv1.Deployment{}).Spec.Replicas).To(Equal(int32(1)))

		Expect(c.client.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "drift-query"}})).To(Succeed())
		Eventually(func() error {
			return c.client.Get(ctx, key(ns, "drift-query"), &corev1.ConfigMap{})
		}).Should(Succeed())
	})

	// envtest runs no garbage collector, so deleting a query leaves its
	// children in place here; what makes a real cluster delete them is the
	// controller owner reference with blockOwnerDeletion, checked on every
	// child. The query itself has no finalizer, so it goes at once.
	It("is deleted at once and owns every child for garbage collection", func() {
		Expect(c.client.Create(ctx, newQuery(ns, "gone", validSQL))).To(Succeed())
		Eventually(podHash(c, ns, "gone")).ShouldNot(BeEmpty())
		q := fetch(c, ns, "gone", &v1alpha1.StreamingQuery{})
		Expect(q.Finalizers).To(BeEmpty())
		for _, child := range []client.Object{
			fetch(c, ns, "gone-query", &corev1.ConfigMap{}),
			fetch(c, ns, "gone", &appsv1.Deployment{}),
			fetch(c, ns, "gone", &corev1.Service{}),
		} {
			expectOwnedBy(child, q, v1alpha1.StreamingQueryKind)
		}
		Expect(c.client.Delete(ctx, q)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(c.client.Get(ctx, key(ns, "gone"), &v1alpha1.StreamingQuery{}))
		}).Should(BeTrue())
	})

	It("reads SQL from a ConfigMap and follows it", func() {
		q := newQuery(ns, "from-cm", "")
		q.Spec.SQLFrom = &v1alpha1.SQLSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "queries"}, Key: "trades.sql",
		}}
		Expect(c.client.Create(ctx, q)).To(Succeed())
		Eventually(queryStatus(c, ns, "from-cm")).Should(HaveField("Conditions",
			HaveCondition("Stalled", metav1.ConditionTrue, "SQLSourceNotFound")))

		src := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "queries"},
			Data:       map[string]string{"trades.sql": validSQL},
		}
		Expect(c.client.Create(ctx, src)).To(Succeed())
		Eventually(podHash(c, ns, "from-cm")).ShouldNot(BeEmpty())
		before := podHash(c, ns, "from-cm")()

		src.Data["trades.sql"] = otherValidSQL
		Expect(c.client.Update(ctx, src)).To(Succeed())
		Eventually(podHash(c, ns, "from-cm")).ShouldNot(Equal(before))
	})

	It("mounts Kafka secrets and rolls the runners when one changes", func() {
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kafka-user"},
			StringData: map[string]string{"username": "alice", "password": "s3cret"},
		}
		Expect(c.client.Create(ctx, secret)).To(Succeed())
		q := newQuery(ns, "secure", validSQL)
		q.Spec.Kafka = &v1alpha1.KafkaConnection{
			BootstrapServers: "kafka:9092",
			SASL: &v1alpha1.SASLConfig{
				Mechanism:         v1alpha1.SASLPlain,
				UsernameSecretRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "kafka-user"}, Key: "username"},
				PasswordSecretRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "kafka-user"}, Key: "password"},
			},
		}
		Expect(c.client.Create(ctx, q)).To(Succeed())
		Eventually(podHash(c, ns, "secure")).ShouldNot(BeEmpty())
		before := podHash(c, ns, "secure")()
		dep := fetch(c, ns, "secure", &appsv1.Deployment{})
		Expect(dep.Spec.Template.Spec.Volumes).To(ContainElement(HaveField("VolumeSource.Secret.SecretName", "kafka-user")))
		for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
			Expect(e.ValueFrom).To(BeNil(), "credentials are mounted, not copied into the environment")
		}
		Expect(fetch(c, ns, "secure-query", &corev1.ConfigMap{}).Data[runner.ConfigKey]).NotTo(ContainSubstring("s3cret"))

		secret = fetch(c, ns, "kafka-user", &corev1.Secret{})
		secret.Data["password"] = []byte("rotated")
		Expect(c.client.Update(ctx, secret)).To(Succeed())
		Eventually(podHash(c, ns, "secure")).ShouldNot(Equal(before))
	})
})

var _ = Describe("StreamingQuery without the monitoring APIs", func() {
	It("runs the query with no monitoring children and no error", func() {
		c := withoutMonitoring
		ns := c.newNamespace()
		Expect(c.client.Create(ctx, newQuery(ns, "plain", validSQL))).To(Succeed())
		Eventually(podHash(c, ns, "plain")).ShouldNot(BeEmpty())
		markAvailable(c, ns, "plain")
		Eventually(queryStatus(c, ns, "plain")).Should(And(
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionTrue, "Succeeded")),
			HaveField("Phase", v1alpha1.QueryRunning),
		))
		var cms corev1.ConfigMapList
		Expect(c.client.List(ctx, &cms, client.InNamespace(ns), client.HasLabels{"grafana_dashboard"})).To(Succeed())
		Expect(cms.Items).To(BeEmpty(), "no dashboard where no monitoring stack is found")

		By("stalling a query that forces a ServiceMonitor on")
		q := newQuery(ns, "forced", validSQL)
		q.Spec.Monitoring = &v1alpha1.MonitoringSpec{ServiceMonitor: ptr.To(true)}
		Expect(c.client.Create(ctx, q)).To(Succeed())
		Eventually(queryStatus(c, ns, "forced")).Should(HaveField("Conditions",
			HaveCondition("Stalled", metav1.ConditionTrue, "MonitoringAPIMissing")))
	})
})

var _ = Describe("StreamingQuery monitoring toggles", func() {
	It("deletes a monitoring child when it is turned off", func() {
		c := withMonitoring
		ns := c.newNamespace()
		Expect(c.client.Create(ctx, newQuery(ns, "toggle", validSQL))).To(Succeed())
		Eventually(func() error {
			return c.client.Get(ctx, key(ns, "toggle"), &monitoringv1.ServiceMonitor{})
		}).Should(Succeed())
		Eventually(func() error {
			return c.client.Get(ctx, key(ns, "toggle-dashboard"), &corev1.ConfigMap{})
		}).Should(Succeed())

		q := fetch(c, ns, "toggle", &v1alpha1.StreamingQuery{})
		q.Spec.Monitoring = &v1alpha1.MonitoringSpec{ServiceMonitor: ptr.To(false), Dashboard: ptr.To(false)}
		Expect(c.client.Update(ctx, q)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(c.client.Get(ctx, key(ns, "toggle"), &monitoringv1.ServiceMonitor{}))
		}).Should(BeTrue())
		Eventually(func() bool {
			return apierrors.IsNotFound(c.client.Get(ctx, key(ns, "toggle-dashboard"), &corev1.ConfigMap{}))
		}).Should(BeTrue())
		Expect(c.client.Get(ctx, key(ns, "toggle"), &monitoringv1.PrometheusRule{})).To(Succeed(), "the rule stays on")
	})
})
