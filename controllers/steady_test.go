package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// A converged cluster must see no writes from the operator: no status
// patch, no apply, no event. The operator's requests go through a counting
// transport (suite_test.go), so the check costs nothing but the wait.
var _ = Describe("a steady cluster", func() {
	It("gets no API writes from the operator over 30 s of no change", func() {
		c := withMonitoring
		ns := c.newNamespace()
		for _, name := range []string{"steady-a", "steady-b"} {
			Expect(c.client.Create(ctx, newQuery(ns, name, validSQL))).To(Succeed())
		}
		nb := &v1alpha1.Notebook{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "steady"},
			Spec: v1alpha1.NotebookSpec{Cells: []v1alpha1.NotebookCell{
				{Name: "cell", SQL: otherValidSQL, Deploy: true},
			}},
		}
		Expect(c.client.Create(ctx, nb)).To(Succeed())
		Expect(c.client.Create(ctx, newQuery(ns, "steady-bad", invalidSQL))).To(Succeed())

		for _, name := range []string{"steady-a", "steady-b", "steady-cell"} {
			Eventually(func() error { return c.client.Get(ctx, key(ns, name), &appsv1.Deployment{}) }).Should(Succeed())
			markAvailable(c, ns, name)
			Eventually(queryStatus(c, ns, name)).Should(HaveField("Phase", v1alpha1.QueryRunning))
		}
		Eventually(notebookStatus(c, ns, "steady")).Should(HaveField("Conditions", HaveCondition("Ready", metav1.ConditionTrue, "Succeeded")))
		Eventually(queryStatus(c, ns, "steady-bad")).Should(HaveField("Phase", v1alpha1.QueryFailed))

		// Events are sent asynchronously after the last status write;
		// wait until the count stops moving before measuring.
		settled := -1
		Eventually(func() bool {
			n := c.writes.in(ns)
			stable := n == settled
			settled = n
			return stable
		}, 30*time.Second, 2*time.Second).Should(BeTrue())

		Consistently(func() int { return c.writes.in(ns) }, 30*time.Second, time.Second).Should(Equal(settled),
			"the operator wrote to a converged namespace; last writes:\n%s", c.writes.recent())
	})
})
