package v1alpha1_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

const namespace = "default"

// manifest turns a YAML document, written as a user would, into an object
// with a generated name. Specs send YAML rather than Go structs because the
// typed structs cannot express some invalid inputs (a field both set and
// empty, a missing required field) that users can.
func manifest(doc string) *unstructured.Unstructured {
	GinkgoHelper()
	u := &unstructured.Unstructured{}
	Expect(yaml.Unmarshal([]byte(doc), &u.Object)).To(Succeed(), "test manifest:\n%s", doc)
	u.SetNamespace(namespace)
	u.SetGenerateName("t-")
	return u
}

// create sends the manifest and deletes the object when the spec ends.
func create(doc string) (*unstructured.Unstructured, error) {
	GinkgoHelper()
	u := manifest(doc)
	err := k8sClient.Create(context.Background(), u)
	if err == nil {
		DeferCleanup(func() {
			Expect(client.IgnoreNotFound(k8sClient.Delete(context.Background(), u))).To(Succeed())
		})
	}
	return u, err
}

// get reads the stored object back into its typed form, so specs check what
// controllers will see after the API server applied its defaults.
func get[T client.Object](u *unstructured.Unstructured, into T) T {
	GinkgoHelper()
	Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(u), into)).To(Succeed())
	return into
}

var _ = Describe("valid objects", func() {
	It("accepts a StreamingQuery with inline SQL and defaults replicas to 1", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: |
    SELECT symbol, COUNT(*) AS trades FROM trades
    GROUP BY symbol WINDOW TUMBLING('1 minute')
  kafka:
    bootstrapServers: kafka-0.kafka:9092,kafka-1.kafka:9092
    tls:
      enabled: true
      caSecretRef: {name: kafka-ca, key: ca.crt}
      certSecretRef: {name: kafka-client, key: tls.crt}
      keySecretRef: {name: kafka-client, key: tls.key}
    sasl:
      mechanism: SCRAM-SHA-512
      usernameSecretRef: {name: kafka-user, key: username}
      passwordSecretRef: {name: kafka-user, key: password}
  env:
  - name: LOG_LEVEL
    value: debug
  resources:
    limits: {cpu: "1", memory: 512Mi}
`)
		Expect(err).NotTo(HaveOccurred())
		sq := get(u, &v1alpha1.StreamingQuery{})
		Expect(sq.Spec.Replicas).To(Equal(ptr.To[int32](1)))
		Expect(sq.Spec.Suspend).To(BeFalse())
		Expect(sq.Spec.Monitoring).To(BeNil(), "nil monitoring means auto-detect")
		Expect(sq.Spec.Kafka.SASL.Mechanism).To(Equal(v1alpha1.SASLScramSHA512))
		Expect(sq.Spec.Kafka.SASL.PasswordSecretRef.Key).To(Equal("password"))
		Expect(sq.Spec.Resources.Limits.Memory().String()).To(Equal("512Mi"))
	})

	It("accepts a StreamingQuery whose SQL comes from a ConfigMap, keeping replicas 0 and monitoring choices", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sqlFrom:
    configMapKeyRef: {name: queries, key: trades.sql}
  replicas: 0
  suspend: true
  restartNonce: "2026-11-26T11:00:00Z"
  monitoring: {serviceMonitor: false, dashboard: true}
`)
		Expect(err).NotTo(HaveOccurred())
		sq := get(u, &v1alpha1.StreamingQuery{})
		Expect(sq.Spec.Replicas).To(Equal(ptr.To[int32](0)), "an explicit 0 is not replaced by the default")
		Expect(sq.Spec.SQLFrom.ConfigMapKeyRef.Key).To(Equal("trades.sql"))
		Expect(sq.Spec.Monitoring.ServiceMonitor).To(Equal(ptr.To(false)))
		Expect(sq.Spec.Monitoring.PrometheusRule).To(BeNil())
		Expect(sq.Spec.Monitoring.Dashboard).To(Equal(ptr.To(true)))
	})

	It("accepts a Notebook and keeps its assertions as written", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: Notebook
spec:
  title: Trading Analytics
  defaults:
    kafka: {bootstrapServers: "kafka:9092"}
    monitoring: {prometheusRule: false}
  cells:
  - name: volume-by-symbol
    prompt: Show me trading volume by symbol per minute
    sql: SELECT symbol, SUM(volume) FROM trades GROUP BY symbol WINDOW TUMBLING('1 minute')
    deploy: true
    assertions:
    - record_count: {greater_than: 0}
    - no_nulls: [symbol, volume]
    - execution_time: {less_than_ms: 1000}
  - name: draft
    sql: SELECT * FROM trades
`)
		Expect(err).NotTo(HaveOccurred())
		nb := get(u, &v1alpha1.Notebook{})
		Expect(nb.Spec.Cells).To(HaveLen(2))
		Expect(nb.Spec.Cells[0].Deploy).To(BeTrue())
		Expect(nb.Spec.Cells[1].Deploy).To(BeFalse())
		got := make([]string, 0, len(nb.Spec.Cells[0].Assertions))
		for _, a := range nb.Spec.Cells[0].Assertions {
			got = append(got, string(a.Raw))
		}
		Expect(got).To(HaveLen(3))
		Expect(got[0]).To(MatchJSON(`{"record_count":{"greater_than":0}}`))
		Expect(got[1]).To(MatchJSON(`{"no_nulls":["symbol","volume"]}`))
		Expect(got[2]).To(MatchJSON(`{"execution_time":{"less_than_ms":1000}}`))
	})

	It("accepts a ClusterLink and defaults replicas to 1 and syncInterval to 10s", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east-kafka:9092"}
  target:
    bootstrapServers: west-kafka:9092
    sasl:
      mechanism: PLAIN
      usernameSecretRef: {name: west, key: user}
      passwordSecretRef: {name: west, key: pass}
  topics:
    include: ["trades", "orders\\..*"]
    exclude: ["orders\\.internal"]
  topicPrefix: east.
  consumerGroups: {include: [".*"]}
  exactlyOnce: true
`)
		Expect(err).NotTo(HaveOccurred())
		cl := get(u, &v1alpha1.ClusterLink{})
		Expect(cl.Spec.Replicas).To(Equal(ptr.To[int32](1)))
		Expect(cl.Spec.SyncInterval).NotTo(BeNil())
		Expect(cl.Spec.SyncInterval.Duration.String()).To(Equal("10s"))
		Expect(cl.Spec.Topics.Include).To(Equal([]string{"trades", `orders\..*`}))
		Expect(cl.Spec.ExactlyOnce).To(BeTrue())
	})
})

var _ = DescribeTable("invalid objects are refused with a message naming the problem",
	func(doc, want string) {
		_, err := create(doc)
		Expect(err).To(HaveOccurred(), "the API server accepted:\n%s", doc)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
		Expect(err.Error()).To(ContainSubstring(want))
	},
	Entry("StreamingQuery with both sql and sqlFrom", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: SELECT 1
  sqlFrom: {configMapKeyRef: {name: q, key: q.sql}}
`, "exactly one of sql and sqlFrom must be set"),
	Entry("StreamingQuery with neither sql nor sqlFrom", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  replicas: 2
`, "exactly one of sql and sqlFrom must be set"),
	Entry("StreamingQuery with empty sql", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: ""
`, "spec.sql: Invalid value"),
	Entry("StreamingQuery with negative replicas", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: SELECT 1
  replicas: -1
`, "spec.replicas in body should be greater than or equal to 0"),
	Entry("StreamingQuery with SASL but no password reference", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: SELECT 1
  kafka:
    bootstrapServers: kafka:9092
    sasl:
      mechanism: PLAIN
      usernameSecretRef: {name: u, key: user}
`, "spec.kafka.sasl.passwordSecretRef: Required value"),
	Entry("StreamingQuery with an unknown SASL mechanism", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: SELECT 1
  kafka:
    bootstrapServers: kafka:9092
    sasl:
      mechanism: GSSAPI
      usernameSecretRef: {name: u, key: user}
      passwordSecretRef: {name: u, key: pass}
`, `spec.kafka.sasl.mechanism: Unsupported value: "GSSAPI"`),
	Entry("StreamingQuery with a client certificate but no key", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: SELECT 1
  kafka:
    bootstrapServers: kafka:9092
    tls: {enabled: true, certSecretRef: {name: c, key: tls.crt}}
`, "certSecretRef and keySecretRef must be set together"),
	Entry("StreamingQuery with empty bootstrapServers", `
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: SELECT 1
  kafka: {bootstrapServers: ""}
`, "spec.kafka.bootstrapServers: Invalid value"),
	Entry("Notebook with duplicate cell names", `
apiVersion: velostream.io/v1alpha1
kind: Notebook
spec:
  cells:
  - {name: a, sql: SELECT 1}
  - {name: b, sql: SELECT 2}
  - {name: a, sql: SELECT 3}
`, "cell names must be unique"),
	Entry("Notebook with a cell name that is not a DNS-1123 label", `
apiVersion: velostream.io/v1alpha1
kind: Notebook
spec:
  cells:
  - {name: Bad_Name, sql: SELECT 1}
`, `spec.cells[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'`),
	Entry("Notebook with a cell name longer than 63 characters", `
apiVersion: velostream.io/v1alpha1
kind: Notebook
spec:
  cells:
  - {name: a123456789012345678901234567890123456789012345678901234567890123, sql: SELECT 1}
`, "spec.cells[0].name: Too long"),
	Entry("Notebook cell without SQL", `
apiVersion: velostream.io/v1alpha1
kind: Notebook
spec:
  cells:
  - {name: a}
`, "spec.cells[0].sql: Required value"),
	Entry("Notebook assertion that is not an object", `
apiVersion: velostream.io/v1alpha1
kind: Notebook
spec:
  cells:
  - {name: a, sql: SELECT 1, assertions: [record_count]}
`, "spec.cells[0].assertions[0]: Invalid value"),
	Entry("ClusterLink with the same source and target", `
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "kafka:9092"}
  target: {bootstrapServers: "kafka:9092"}
  topics: {include: [trades]}
`, "source and target must be different clusters"),
	Entry("ClusterLink with negative replicas", `
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east:9092"}
  target: {bootstrapServers: "west:9092"}
  topics: {include: [trades]}
  replicas: -1
`, "spec.replicas in body should be greater than or equal to 0"),
	Entry("ClusterLink with an empty topics include list", `
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east:9092"}
  target: {bootstrapServers: "west:9092"}
  topics: {include: []}
`, "spec.topics.include in body should have at least 1 items"),
	Entry("ClusterLink without topics", `
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east:9092"}
  target: {bootstrapServers: "west:9092"}
`, "spec.topics: Required value"),
	Entry("ClusterLink without a target", `
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east:9092"}
  topics: {include: [trades]}
`, "spec.target: Required value"),
	Entry("ClusterLink with a syncInterval that is not a duration", `
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east:9092"}
  target: {bootstrapServers: "west:9092"}
  topics: {include: [trades]}
  syncInterval: 10 seconds
`, "spec.syncInterval in body should match"),
	Entry("ClusterLink with a topic prefix that Kafka cannot name", `
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east:9092"}
  target: {bootstrapServers: "west:9092"}
  topics: {include: [trades]}
  topicPrefix: "east/"
`, "spec.topicPrefix in body should match"),
)

// table fetches one object as kubectl does for `get`, so specs see the
// printer columns a user sees.
func table(resource, name string) *metav1.Table {
	GinkgoHelper()
	httpClient, err := rest.HTTPClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	url := fmt.Sprintf("%s/apis/velostream.io/v1alpha1/namespaces/%s/%s/%s", strings.TrimSuffix(cfg.Host, "/"), namespace, resource, name)
	req, err := http.NewRequest(http.MethodGet, url, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := httpClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(http.StatusOK), "GET %s: %s", url, body)
	t := &metav1.Table{}
	Expect(json.Unmarshal(body, t)).To(Succeed())
	Expect(t.Rows).To(HaveLen(1))
	return t
}

// columns maps printer column names to the row's cells, and records which
// columns only show with -o wide (priority > 0).
func columns(t *metav1.Table) (cells map[string]any, wide map[string]bool) {
	cells, wide = map[string]any{}, map[string]bool{}
	for i, c := range t.ColumnDefinitions {
		cells[c.Name] = t.Rows[0].Cells[i]
		wide[c.Name] = c.Priority > 0
	}
	return cells, wide
}

var _ = Describe("status subresource and printer columns", func() {
	It("shows a ClusterLink's clusters, mirrored topics, lag and readiness", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: ClusterLink
spec:
  source: {bootstrapServers: "east:9092"}
  target: {bootstrapServers: "west:9092"}
  topics: {include: [trades, orders]}
`)
		Expect(err).NotTo(HaveOccurred())
		cl := get(u, &v1alpha1.ClusterLink{})
		now := metav1.Now()
		cl.Status = v1alpha1.ClusterLinkStatus{
			ObservedGeneration: cl.Generation,
			Conditions: []metav1.Condition{{
				Type: v1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: v1alpha1.SucceededReason,
				Message: "mirroring 2 topics", LastTransitionTime: now, ObservedGeneration: cl.Generation,
			}},
			MirroredTopics: 2,
			Topics: []v1alpha1.TopicLagStatus{
				{Name: "orders", TargetName: "orders", LagRecords: 42, LagMillis: 1500, LastReplicated: &now},
				{Name: "trades", TargetName: "trades", LagRecords: 7},
			},
			MaxLagRecords: 42,
		}
		Expect(k8sClient.Status().Update(context.Background(), cl)).To(Succeed())

		cells, wide := columns(table("clusterlinks", cl.Name))
		Expect(cells).To(HaveKeyWithValue("Source", "east:9092"))
		Expect(cells).To(HaveKeyWithValue("Target", "west:9092"))
		Expect(cells).To(HaveKeyWithValue("Topics", BeNumerically("==", 2)))
		Expect(cells).To(HaveKeyWithValue("Max Lag", BeNumerically("==", 42)))
		Expect(cells).To(HaveKeyWithValue("Ready", "True"))
		Expect(cells).To(HaveKey("Age"))
		Expect(wide).To(HaveKeyWithValue("Source", false))
	})

	It("shows a StreamingQuery's readiness and phase, with the SQL only in the wide view", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec:
  sql: SELECT * FROM trades
  replicas: 3
`)
		Expect(err).NotTo(HaveOccurred())
		sq := get(u, &v1alpha1.StreamingQuery{})
		sq.Status = v1alpha1.StreamingQueryStatus{
			ObservedGeneration: sq.Generation,
			Conditions: []metav1.Condition{{
				Type: v1alpha1.StalledCondition, Status: metav1.ConditionTrue, Reason: v1alpha1.InvalidSQLReason,
				Message: "1 error in the SQL", LastTransitionTime: metav1.Now(),
			}, {
				Type: v1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: v1alpha1.InvalidSQLReason,
				Message: "1 error in the SQL", LastTransitionTime: metav1.Now(),
			}},
			Phase:     v1alpha1.QueryFailed,
			SQLErrors: []v1alpha1.SQLError{{Line: 1, Column: 15, Message: `unknown table "trades"`}},
		}
		Expect(k8sClient.Status().Update(context.Background(), sq)).To(Succeed())

		cells, wide := columns(table("streamingqueries", sq.Name))
		Expect(cells).To(HaveKeyWithValue("Ready", "False"))
		Expect(cells).To(HaveKeyWithValue("Phase", "Failed"))
		Expect(cells).To(HaveKeyWithValue("Replicas", BeNumerically("==", 3)))
		Expect(cells).To(HaveKeyWithValue("SQL", "SELECT * FROM trades"))
		Expect(wide).To(HaveKeyWithValue("SQL", true))
		Expect(wide).To(HaveKeyWithValue("Phase", false))

		got := get(u, &v1alpha1.StreamingQuery{})
		Expect(got.Status.SQLErrors).To(Equal(sq.Status.SQLErrors))
	})

	It("refuses a status phase outside the enum", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: StreamingQuery
spec: {sql: SELECT 1}
`)
		Expect(err).NotTo(HaveOccurred())
		sq := get(u, &v1alpha1.StreamingQuery{})
		sq.Status.Phase = "Exploded"
		err = k8sClient.Status().Update(context.Background(), sq)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
		Expect(err.Error()).To(ContainSubstring(`status.phase: Unsupported value: "Exploded"`))
	})

	It("ignores status sent with a spec update, so only the status subresource writes it", func() {
		u, err := create(`
apiVersion: velostream.io/v1alpha1
kind: Notebook
spec:
  cells: [{name: a, sql: SELECT 1}]
`)
		Expect(err).NotTo(HaveOccurred())
		nb := get(u, &v1alpha1.Notebook{})
		nb.Spec.Title = "renamed"
		nb.Status.Cells = []v1alpha1.CellStatus{{Name: "a", Phase: v1alpha1.CellRunning}}
		Expect(k8sClient.Update(context.Background(), nb)).To(Succeed())
		got := get(u, &v1alpha1.Notebook{})
		Expect(got.Spec.Title).To(Equal("renamed"))
		Expect(got.Status.Cells).To(BeEmpty())
	})
})
