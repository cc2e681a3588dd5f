package controllers_test

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

func notebookStatus(c *cluster, ns, name string) func() v1alpha1.NotebookStatus {
	return func() v1alpha1.NotebookStatus {
		nb := &v1alpha1.Notebook{}
		if err := c.client.Get(ctx, key(ns, name), nb); err != nil {
			return v1alpha1.NotebookStatus{}
		}
		return nb.Status
	}
}

func cellPhase(name string, phase v1alpha1.CellPhase) OmegaMatcher {
	return ContainElement(And(HaveField("Name", name), HaveField("Phase", phase)))
}

var _ = Describe("Notebook", func() {
	It("deploys a StreamingQuery per deployed cell, joins their dashboards, and deletes a removed cell's query", func() {
		c := withMonitoring
		ns := c.newNamespace()
		nb := &v1alpha1.Notebook{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "trading"},
			Spec: v1alpha1.NotebookSpec{
				Title: "Trading Analytics",
				Cells: []v1alpha1.NotebookCell{
					{Name: "volume", Prompt: "Show me trading volume by symbol", SQL: validSQL, Deploy: true},
					{Name: "doubled", SQL: otherValidSQL, Deploy: true},
					{Name: "scratch", SQL: "SELECT 1"},
				},
				Defaults: &v1alpha1.NotebookDefaults{Kafka: &v1alpha1.KafkaConnection{BootstrapServers: "kafka:9092"}},
			},
		}
		Expect(c.client.Create(ctx, nb)).To(Succeed())

		By("creating one owned StreamingQuery per deployed cell")
		for _, name := range []string{"trading-volume", "trading-doubled"} {
			Eventually(func() error { return c.client.Get(ctx, key(ns, name), &v1alpha1.StreamingQuery{}) }).Should(Succeed())
			q := fetch(c, ns, name, &v1alpha1.StreamingQuery{})
			expectOwnedBy(q, nb, v1alpha1.NotebookKind)
			Expect(q.Spec.Kafka.BootstrapServers).To(Equal("kafka:9092"))
		}
		Expect(apierrors.IsNotFound(c.client.Get(ctx, key(ns, "trading-scratch"), &v1alpha1.StreamingQuery{}))).To(BeTrue())

		By("joining every deployed cell's panels in one dashboard, and none per cell")
		Eventually(func() error { return c.client.Get(ctx, key(ns, "trading-dashboard"), &corev1.ConfigMap{}) }).Should(Succeed())
		dash := fetch(c, ns, "trading-dashboard", &corev1.ConfigMap{})
		expectOwnedBy(dash, nb, v1alpha1.NotebookKind)
		var board map[string]any
		Expect(json.Unmarshal([]byte(dash.Data["trading.json"]), &board)).To(Succeed())
		Expect(dash.Data["trading.json"]).To(And(ContainSubstring(`trading-volume`), ContainSubstring(`trading-doubled`)))
		Consistently(func() bool {
			return apierrors.IsNotFound(c.client.Get(ctx, key(ns, "trading-volume-dashboard"), &corev1.ConfigMap{}))
		}, time.Second).Should(BeTrue())

		By("reporting each cell, Ready once the runners are")
		Eventually(notebookStatus(c, ns, "trading")).Should(And(
			HaveField("Cells", cellPhase("scratch", v1alpha1.CellDraft)),
			HaveField("Cells", cellPhase("volume", v1alpha1.CellPending)),
			HaveField("Conditions", HaveCondition("Reconciling", metav1.ConditionTrue, "Progressing")),
		))
		for _, name := range []string{"trading-volume", "trading-doubled"} {
			Eventually(func() error { return c.client.Get(ctx, key(ns, name), &appsv1.Deployment{}) }).Should(Succeed())
			markAvailable(c, ns, name)
		}
		Eventually(notebookStatus(c, ns, "trading")).Should(And(
			HaveField("Cells", cellPhase("volume", v1alpha1.CellRunning)),
			HaveField("Cells", cellPhase("doubled", v1alpha1.CellRunning)),
			HaveField("Conditions", HaveCondition("Ready", metav1.ConditionTrue, "Succeeded")),
		))

		By("deleting the query of a cell that is un-deployed, and of one that is removed")
		nb = fetch(c, ns, "trading", &v1alpha1.Notebook{})
		nb.Spec.Cells[0].Deploy = false
		nb.Spec.Cells = append(nb.Spec.Cells[:1], nb.Spec.Cells[2:]...) // drop "doubled"
		Expect(c.client.Update(ctx, nb)).To(Succeed())
		for _, name := range []string{"trading-volume", "trading-doubled"} {
			Eventually(func() bool {
				return apierrors.IsNotFound(c.client.Get(ctx, key(ns, name), &v1alpha1.StreamingQuery{}))
			}).Should(BeTrue(), name)
		}
		Eventually(func() bool {
			return apierrors.IsNotFound(c.client.Get(ctx, key(ns, "trading-dashboard"), &corev1.ConfigMap{}))
		}).Should(BeTrue(), "no deployed cell, no dashboard")
		Eventually(notebookStatus(c, ns, "trading")).Should(And(
			HaveField("Cells", HaveLen(2)),
			HaveField("Cells", cellPhase("volume", v1alpha1.CellDraft)),
		))
	})

	It("reports a cell whose SQL is invalid", func() {
		c := withMonitoring
		ns := c.newNamespace()
		nb := &v1alpha1.Notebook{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "broken"},
			Spec: v1alpha1.NotebookSpec{Cells: []v1alpha1.NotebookCell{
				{Name: "bad", SQL: invalidSQL, Deploy: true},
			}},
		}
		Expect(c.client.Create(ctx, nb)).To(Succeed())
		Eventually(notebookStatus(c, ns, "broken")).Should(And(
			HaveField("Cells", ContainElement(And(HaveField("Name", "bad"), HaveField("Phase", v1alpha1.CellFailed),
				HaveField("Message", ContainSubstring("line 2, column 8"))))),
			HaveField("Conditions", HaveCondition("Stalled", metav1.ConditionTrue, "CellsNotReady")),
		))
		var deps appsv1.DeploymentList
		Expect(c.client.List(ctx, &deps, client.InNamespace(ns))).To(Succeed())
		Expect(deps.Items).To(BeEmpty())
	})
})
