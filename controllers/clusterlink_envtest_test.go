package controllers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/metrics"
)

func newLink(ns, name string) *v1alpha1.ClusterLink {
	return &v1alpha1.ClusterLink{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.ClusterLinkSpec{
			Source:         v1alpha1.LinkConnection{BootstrapServers: "kafka-east:9092"},
			Target:         v1alpha1.LinkConnection{BootstrapServers: "kafka-west:9092"},
			Topics:         v1alpha1.TopicSelector{Include: []string{"orders", `payments\..*`}},
			TopicPrefix:    "east.",
			ConsumerGroups: &v1alpha1.GroupSelector{Include: []string{"billing-.*"}},
		},
	}
}

func linkStatus(c client.Client, ns, name string) func() v1alpha1.ClusterLinkStatus {
	return func() v1alpha1.ClusterLinkStatus {
		l := &v1alpha1.ClusterLink{}
		if err := c.Get(ctx, key(ns, name), l); err != nil {
			return v1alpha1.ClusterLinkStatus{}
		}
		return l.Status
	}
}

var _ = Describe("ClusterLink", func() {
	It("creates the link's ConfigMap, Deployment, Service and monitoring objects, and reports what it cannot read as unknown", func() {
		c := withMonitoring
		ns := c.newNamespace()
		l := newLink(ns, "dr")
		Expect(c.client.Create(ctx, l)).To(Succeed())

		By("making the children, owned by the link")
		dep := &appsv1.Deployment{}
		Eventually(func() error { return c.client.Get(ctx, key(ns, "dr-link"), dep) }).Should(Succeed())
		expectOwnedBy(dep, l, v1alpha1.ClusterLinkKind)
		Expect(dep.Spec.Replicas).To(Equal(ptr.To[int32](1)))
		Expect(dep.Spec.Strategy.Type).To(Equal(appsv1.RecreateDeploymentStrategyType))
		Expect(dep.Spec.Template.Spec.Containers[0].Args).To(Equal([]string{"link", "-f", controllers.LinkConfigPath, "--listen", ":9090"}))
		Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(runnerImage))

		cm := fetch(c, ns, "dr-link-config", &corev1.ConfigMap{})
		expectOwnedBy(cm, l, v1alpha1.ClusterLinkKind)
		parsed, err := config.Parse([]byte(cm.Data[controllers.LinkConfigKey]), config.Local)
		Expect(err).NotTo(HaveOccurred(), "velo link refuses the operator's config:\n%s", cm.Data[controllers.LinkConfigKey])
		Expect(parsed.ID()).To(Equal(ns + "/dr"))
		Expect(parsed.StateTopic()).To(Equal("__velo_link." + ns + ".dr"))

		svc := fetch(c, ns, "dr-link", &corev1.Service{})
		expectOwnedBy(svc, l, v1alpha1.ClusterLinkKind)
		for _, obj := range []client.Object{&monitoringv1.ServiceMonitor{}, &monitoringv1.PrometheusRule{}} {
			Eventually(func() error { return c.client.Get(ctx, key(ns, "dr-link"), obj) }).Should(Succeed())
			expectOwnedBy(obj, l, v1alpha1.ClusterLinkKind)
		}
		dash := fetch(c, ns, "dr-link-dashboard", &corev1.ConfigMap{})
		Expect(dash.Labels).To(HaveKeyWithValue("grafana_dashboard", "1"))
		Expect(dash.Data["dr-link.json"]).To(ContainSubstring(`velo_link_lag_seconds{link=\"` + ns + `/dr\"}`))

		By("reporting Progressing until the pod is available")
		Eventually(linkStatus(c.client, ns, "dr")).Should(HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "Progressing")))

		By("reporting the status unknown, never guessed, when the link's metrics cannot be read")
		markAvailable(c, ns, "dr-link")
		Eventually(linkStatus(c.client, ns, "dr")).Should(And(
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "StatusUnknown")),
			HaveField("MetricsEndpoint", "http://dr-link."+ns+".svc:9090/metrics"),
			HaveField("MirroredTopics", BeZero()),
		))

		By("scaling to zero while suspended")
		Expect(c.client.Get(ctx, key(ns, "dr"), l)).To(Succeed())
		l.Spec.Suspend = true
		Expect(c.client.Update(ctx, l)).To(Succeed())
		Eventually(func() int32 {
			d := &appsv1.Deployment{}
			if err := c.client.Get(ctx, key(ns, "dr-link"), d); err != nil {
				return -1
			}
			return ptr.Deref(d.Spec.Replicas, 1)
		}).Should(BeZero())
		Eventually(linkStatus(c.client, ns, "dr")).Should(HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "Suspended")))
	})

	DescribeTable("refuses an invalid spec with a condition saying why, and runs nothing",
		func(edit func(*v1alpha1.ClusterLink), want string) {
			c := withoutMonitoring
			ns := c.newNamespace()
			l := newLink(ns, "bad")
			edit(l)
			Expect(c.client.Create(ctx, l)).To(Succeed())
			Eventually(linkStatus(c.client, ns, "bad")).Should(And(
				HaveField("Conditions", HaveCondition("Stalled", metav1.ConditionTrue, "InvalidSpec")),
				HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "InvalidSpec")),
			))
			st := linkStatus(c.client, ns, "bad")()
			var msg string
			for _, cond := range st.Conditions {
				if cond.Type == "Stalled" {
					msg = cond.Message
				}
			}
			Expect(msg).To(ContainSubstring(want))
			Expect(st.ObservedGeneration).To(Equal(fetch(c, ns, "bad", &v1alpha1.ClusterLink{}).Generation))
			Expect(apierrors.IsNotFound(c.client.Get(ctx, key(ns, "bad-link"), &appsv1.Deployment{}))).To(BeTrue())
		},
		Entry("a topic pattern that is not a regular expression",
			func(l *v1alpha1.ClusterLink) { l.Spec.Topics.Include = []string{"orders", "payments.("} },
			`spec.topics.include[1]: "payments.(" is not a regular expression (RE2): missing closing )`),
		Entry("a group pattern that is not a regular expression",
			func(l *v1alpha1.ClusterLink) { l.Spec.ConsumerGroups.Exclude = []string{"*"} },
			`spec.consumerGroups.exclude[0]`),
		Entry("source and target naming the same broker, written differently",
			func(l *v1alpha1.ClusterLink) { l.Spec.Target.BootstrapServers = "kafka-west:9092,Kafka-East:9092" },
			"names broker kafka-east:9092, which spec.source.bootstrapServers names too: source and target must be different clusters"),
		Entry("a credential file, which only velo link outside Kubernetes reads",
			func(l *v1alpha1.ClusterLink) { l.Spec.Target.TLS = &v1alpha1.LinkTLSConfig{CAFile: "/etc/ca.pem"} },
			"spec.target.tls.caFile: is for velo link outside Kubernetes"),
		Entry("a filter that does not compile",
			func(l *v1alpha1.ClusterLink) { l.Spec.Filter = "region = " },
			"spec.filter: 1:10"),
	)

	It("is refused by the API server when source and target are the same string", func() {
		c := withoutMonitoring
		ns := c.newNamespace()
		l := newLink(ns, "same")
		l.Spec.Target.BootstrapServers = l.Spec.Source.BootstrapServers
		err := c.client.Create(ctx, l)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("source and target must be different clusters"))
	})
})

// The status of a running link comes from the link's own metrics. envtest
// runs no pods, so this spec runs its own API server and operator whose
// scrape reads a link registry the spec controls.
var _ = Describe("ClusterLink status from the link's metrics", Ordered, func() {
	var (
		env     *envtest.Environment
		k8s     client.Client
		served  *servedLink
		stopMgr context.CancelFunc
		mgrDone chan struct{}
	)
	BeforeAll(func() {
		env = &envtest.Environment{
			CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
			ErrorIfCRDPathMissing: true,
			BinaryAssetsDirectory: withMonitoring.env.BinaryAssetsDirectory,
		}
		cfg, err := env.Start()
		Expect(err).NotTo(HaveOccurred())
		scheme, err := controllers.NewScheme()
		Expect(err).NotTo(HaveOccurred())
		k8s, err = client.New(cfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		served = &servedLink{}
		mgr, err := ctrl.NewManager(cfg, ctrl.Options{
			Scheme:  scheme,
			Cache:   controllers.CacheOptions(controllers.MonitoringAPIs{}, ""),
			Metrics: metricsserver.Options{BindAddress: "0"},
		})
		Expect(err).NotTo(HaveOccurred())
		var mctx context.Context
		mctx, stopMgr = context.WithCancel(context.Background())
		Expect(controllers.SetupClusterLink(mctx, mgr, controllers.LinkOptions{
			Options: controllers.Options{
				RunnerImage: runnerImage, Monitoring: &controllers.MonitoringAPIs{},
				Logger: slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelWarn})),
			},
			Scrape:         served.scrape,
			StatusInterval: 200 * time.Millisecond,
		})).To(Succeed())
		mgrDone = make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(mgrDone)
			Expect(mgr.Start(mctx)).To(Succeed())
		}()
	})
	AfterAll(func() {
		stopMgr()
		<-mgrDone
		Expect(env.Stop()).To(Succeed())
	})

	It("reports lag per topic, the mirrored topic count, connections and the failover report", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
		Expect(k8s.Create(ctx, ns)).To(Succeed())
		l := newLink(ns.Name, "dr")
		Expect(k8s.Create(ctx, l)).To(Succeed())
		cl := &cluster{client: k8s}
		Eventually(func() error { return k8s.Get(ctx, key(ns.Name, "dr-link"), &appsv1.Deployment{}) }).Should(Succeed())
		markAvailable(cl, ns.Name, "dr-link")

		By("reading the link's metrics endpoint, at the Service's URL")
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		served.set(ns.Name+"/dr", []metrics.PartitionLag{
			{Topic: "orders", Partition: 0, LagRecords: 40, LagSeconds: 2.5, LastReplicated: at},
			{Topic: "orders", Partition: 1, LagRecords: 2, LagSeconds: 0.5, LastReplicated: at},
			{Topic: "payments.eu", Partition: 0},
		}, func(m *metrics.Metrics) {
			m.SetConnected("source", true)
			m.SetConnected("target", true)
			m.SetTopics(2)
		})
		Eventually(linkStatus(k8s, ns.Name, "dr")).Should(And(
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionTrue, "Succeeded")),
			HaveField("MirroredTopics", BeEquivalentTo(2)),
			HaveField("MaxLagRecords", BeEquivalentTo(42)),
			HaveField("Topics", ContainElement(And(HaveField("Name", "orders"), HaveField("TargetName", "east.orders"),
				HaveField("LagRecords", BeEquivalentTo(42)), HaveField("LagMillis", BeEquivalentTo(2500))))),
		))
		Expect(served.lastURL()).To(Equal("http://dr-link." + ns.Name + ".svc:9090/metrics"))

		By("saying which cluster the link cannot reach")
		served.set(ns.Name+"/dr", nil, func(m *metrics.Metrics) {
			m.SetConnected("source", false)
			m.SetConnected("target", true)
			m.SetTopics(2)
		})
		Eventually(linkStatus(k8s, ns.Name, "dr")).Should(HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "Disconnected")))

		By("publishing the failover report of spec.failover")
		Expect(k8s.Get(ctx, key(ns.Name, "dr"), l)).To(Succeed())
		l.Spec.Failover = true
		Expect(k8s.Update(ctx, l)).To(Succeed())
		// The pod restarts with the new configuration, then fails over.
		Eventually(linkStatus(k8s, ns.Name, "dr")).Should(HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "Progressing")))
		markAvailable(cl, ns.Name, "dr-link")
		Eventually(linkStatus(k8s, ns.Name, "dr")).Should(HaveField("Conditions", HaveCondition("Ready", metav1.ConditionFalse, "FailingOver")))
		served.set(ns.Name+"/dr", nil, func(m *metrics.Metrics) {
			m.SetConnected("target", true)
			m.SetFailover(at, map[string]map[string]map[int32]int64{"billing-1": {"east.orders": {0: 100, 1: 80}}}, nil)
		})
		Eventually(linkStatus(k8s, ns.Name, "dr")).Should(And(
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionTrue, "FailedOver")),
			HaveField("Failover.Groups", ConsistOf(And(HaveField("Name", "billing-1"),
				HaveField("Topics", ConsistOf(HaveField("Offsets", Equal([]int64{100, 80})))))))))
	})
})

// servedLink is a link's metrics registry a spec sets, read by the
// operator's scrape as the link's own endpoint would serve it.
type servedLink struct {
	mu   sync.Mutex
	m    *metrics.Metrics
	urls []string
}

func (s *servedLink) set(link string, lag []metrics.PartitionLag, f func(*metrics.Metrics)) {
	m := metrics.New(link, func() []metrics.PartitionLag { return lag }, false)
	f(m)
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
}

func (s *servedLink) lastURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.urls) == 0 {
		return ""
	}
	return s.urls[len(s.urls)-1]
}

func (s *servedLink) scrape(ctx context.Context, url string) ([]byte, error) {
	s.mu.Lock()
	m := s.m
	s.urls = append(s.urls, url)
	s.mu.Unlock()
	if m == nil {
		return nil, errors.New("connection refused")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", url, nil).WithContext(ctx))
	return rec.Body.Bytes(), nil
}
