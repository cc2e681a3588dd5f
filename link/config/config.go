// Package config reads and checks a ClusterLink for `velo link`. It takes the
// YAML of a velostream.io/v1alpha1 ClusterLink object (the file one would
// `kubectl apply`, with local files in place of Secret references) and gives
// a validated Link: broker lists, compiled topic and group selectors, the
// filter's text, durations with their defaults, and the name of the link's
// state topic on the target.
//
// Every problem is reported with the field's path and, when the input is a
// file, its line and column. The operator validates specs with the same
// function (Validate, in cluster mode), so a spec the controller accepts is
// one `velo link` runs.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/link/filter"
)

// Defaults of the fields a ClusterLink may leave out.
const (
	// DefaultSyncInterval is how often topics, configurations and group
	// offsets are synchronised (the CRD's default too).
	DefaultSyncInterval = 10 * time.Second
	// MinSyncInterval keeps a typo such as 1ms from hammering both clusters
	// with metadata and group requests.
	MinSyncInterval = 100 * time.Millisecond
	// StateTopicPrefix starts the name of every link's state topic; topics
	// with it are never mirrored, so two links in opposite directions do
	// not copy each other's state.
	StateTopicPrefix = "__velo_link."
	// maxTopicName is Kafka's limit on topic names.
	maxTopicName = 249
)

// Mode says where a spec runs, which decides how credentials are given.
type Mode int

const (
	// Local is `velo link -f` on a machine: credentials are files
	// (tls.caFile, sasl.passwordFile, ...); Secret references cannot be
	// read.
	Local Mode = iota
	// Cluster is a ClusterLink object in Kubernetes: credentials are Secret
	// references, which the operator mounts; file fields are refused.
	Cluster
)

// Link is a validated ClusterLink, ready to run.
type Link struct {
	Name      string
	Namespace string
	// Spec is the spec as written, defaults applied.
	Spec           v1alpha1.ClusterLinkSpec
	Source, Target Connection
	Topics         Selector
	// Groups selects the consumer groups to translate; the zero Selector
	// selects none.
	Groups       Selector
	Prefix       string
	SyncInterval time.Duration
	Filter       string
	ExactlyOnce  bool
	Failover     bool
}

// StateTopic is the compacted topic on the target where the link keeps its
// replicated position and offset mapping.
func (l *Link) StateTopic() string { return StateTopic(l.Namespace, l.Name) }

// StateTopic names the state topic of the link namespace/name.
func StateTopic(namespace, name string) string {
	if namespace == "" {
		return StateTopicPrefix + name
	}
	return StateTopicPrefix + namespace + "." + name
}

// TargetTopic is the name a source topic has on the target.
func (l *Link) TargetTopic(source string) string { return l.Prefix + source }

// ID names the link in logs, metrics and the transactional ID:
// namespace/name, or name alone.
func (l *Link) ID() string {
	if l.Namespace == "" {
		return l.Name
	}
	return l.Namespace + "/" + l.Name
}

// Connection is how to reach one cluster.
type Connection struct {
	Brokers []string
	TLS     *TLS
	SASL    *SASL
}

// TLS configures encryption; the files are read when the link connects.
type TLS struct {
	CAFile, CertFile, KeyFile string
	InsecureSkipVerify        bool
}

// SASL configures authentication; the username and password are files.
type SASL struct {
	Mechanism                  string
	UsernameFile, PasswordFile string
}

// Selector matches names against RE2 expressions that must match the whole
// name: a plain name selects itself.
type Selector struct {
	include, exclude []*regexp.Regexp
}

// Match reports whether name is included and not excluded.
func (s Selector) Match(name string) bool {
	ok := false
	for _, re := range s.include {
		if re.MatchString(name) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for _, re := range s.exclude {
		if re.MatchString(name) {
			return false
		}
	}
	return true
}

// Empty reports whether the selector selects nothing.
func (s Selector) Empty() bool { return len(s.include) == 0 }

// NewSelector compiles include and exclude patterns. Errors name the
// pattern's index; callers add the field path.
func NewSelector(include, exclude []string) (Selector, error) {
	var s Selector
	var errs []error
	compile := func(list []string, kind string) []*regexp.Regexp {
		out := make([]*regexp.Regexp, 0, len(list))
		for i, p := range list {
			re, err := compileWhole(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s[%d] %q: %w", kind, i, p, err))
				continue
			}
			out = append(out, re)
		}
		return out
	}
	s.include = compile(include, "include")
	s.exclude = compile(exclude, "exclude")
	return s, errors.Join(errs...)
}

// compileWhole anchors a pattern so that it matches whole names only:
// "orders" must not select "orders-archive".
func compileWhole(p string) (*regexp.Regexp, error) {
	// Compiled as written first, so an error quotes the user's pattern
	// rather than the anchored form.
	if _, err := regexp.Compile(p); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return regexp.Compile(`^(?:` + p + `)$`)
}

// FieldError is one problem in a spec: the field's path, where it is in the
// file (Line 0 when unknown) and what is wrong.
type FieldError struct {
	Path         string
	Line, Column int
	Msg          string
}

func (e FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%d:%d: %s: %s", e.Line, e.Column, e.Path, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// Errors are the problems of a spec, in the order of the fields.
type Errors []FieldError

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Validate checks a ClusterLink spec the way the API server cannot: regular
// expressions, the filter, broker addresses, source and target naming the
// same brokers, and credentials as the mode allows. It returns the problems
// in field order, with paths under "spec".
func Validate(spec *v1alpha1.ClusterLinkSpec, mode Mode) Errors {
	var errs Errors
	add := func(path, format string, args ...any) {
		errs = append(errs, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	src := validateConnection(&spec.Source, "spec.source", mode, add)
	tgt := validateConnection(&spec.Target, "spec.target", mode, add)
	if len(src) > 0 && len(tgt) > 0 {
		if same := sameBrokers(src, tgt); same != "" {
			add("spec.target.bootstrapServers", "names broker %s, which spec.source.bootstrapServers names too: source and target must be different clusters", same)
		}
	}
	if len(spec.Topics.Include) == 0 {
		add("spec.topics.include", "needs at least one topic name or pattern")
	}
	validatePatterns(spec.Topics.Include, "spec.topics.include", add)
	validatePatterns(spec.Topics.Exclude, "spec.topics.exclude", add)
	if g := spec.ConsumerGroups; g != nil {
		validatePatterns(g.Include, "spec.consumerGroups.include", add)
		validatePatterns(g.Exclude, "spec.consumerGroups.exclude", add)
	}
	if p := spec.TopicPrefix; p != "" {
		if err := validTopicName(p); err != nil {
			add("spec.topicPrefix", "%q: %v", p, err)
		} else if len(p) > 200 {
			add("spec.topicPrefix", "%d characters; at most 200, so that prefixed names fit Kafka's 249", len(p))
		} else if strings.HasPrefix(p, StateTopicPrefix) || strings.HasPrefix(p, "__") {
			add("spec.topicPrefix", "%q starts with '__', which Kafka and links keep for internal topics", p)
		}
	}
	if si := spec.SyncInterval; si != nil && si.Duration < MinSyncInterval {
		add("spec.syncInterval", "%s: at least %s", si.Duration, MinSyncInterval)
	}
	if spec.Filter != "" {
		if _, err := filter.Compile(spec.Filter); err != nil {
			add("spec.filter", "%v", err)
		}
	}
	if spec.Replicas != nil && (*spec.Replicas < 0 || *spec.Replicas > 1) {
		add("spec.replicas", "%d: a link runs 0 or 1 pods (one pod replicates every partition)", *spec.Replicas)
	}
	return errs
}

func validatePatterns(list []string, path string, add func(string, string, ...any)) {
	for i, p := range list {
		if p == "" {
			add(fmt.Sprintf("%s[%d]", path, i), "empty pattern")
			continue
		}
		if _, err := compileWhole(p); err != nil {
			add(fmt.Sprintf("%s[%d]", path, i), "%q is not a regular expression (RE2): %v", p, err)
		}
	}
}

// validateConnection checks one side and returns its brokers, normalised.
func validateConnection(c *v1alpha1.LinkConnection, path string, mode Mode, add func(string, string, ...any)) []string {
	var brokers []string
	if strings.TrimSpace(c.BootstrapServers) == "" {
		add(path+".bootstrapServers", "needs at least one host:port")
	}
	for _, b := range strings.Split(c.BootstrapServers, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		host, port, err := net.SplitHostPort(b)
		if err != nil || host == "" {
			add(path+".bootstrapServers", "%q: want host:port", b)
			continue
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			add(path+".bootstrapServers", "%q: port %q is not a number from 1 to 65535", b, port)
			continue
		}
		brokers = append(brokers, net.JoinHostPort(strings.TrimSuffix(strings.ToLower(host), "."), port))
	}
	if t := c.TLS; t != nil {
		refs := map[string]bool{"caSecretRef": t.CASecretRef != nil, "certSecretRef": t.CertSecretRef != nil, "keySecretRef": t.KeySecretRef != nil}
		files := map[string]bool{"caFile": t.CAFile != "", "certFile": t.CertFile != "", "keyFile": t.KeyFile != ""}
		checkCredentials(path+".tls", mode, refs, files, add)
		if (t.CertFile == "") != (t.KeyFile == "") {
			add(path+".tls", "certFile and keyFile must be set together")
		}
		if (t.CertSecretRef == nil) != (t.KeySecretRef == nil) {
			add(path+".tls", "certSecretRef and keySecretRef must be set together")
		}
	}
	if s := c.SASL; s != nil {
		switch s.Mechanism {
		case v1alpha1.SASLPlain, v1alpha1.SASLScramSHA256, v1alpha1.SASLScramSHA512:
		default:
			add(path+".sasl.mechanism", "%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
		}
		refs := map[string]bool{"usernameSecretRef": s.UsernameSecretRef != nil, "passwordSecretRef": s.PasswordSecretRef != nil}
		files := map[string]bool{"usernameFile": s.UsernameFile != "", "passwordFile": s.PasswordFile != ""}
		checkCredentials(path+".sasl", mode, refs, files, add)
		switch mode {
		case Local:
			if s.UsernameFile == "" || s.PasswordFile == "" {
				add(path+".sasl", "velo link needs usernameFile and passwordFile (files holding the username and the password)")
			}
		case Cluster:
			if s.UsernameSecretRef == nil || s.PasswordSecretRef == nil {
				add(path+".sasl", "needs usernameSecretRef and passwordSecretRef")
			}
		}
	}
	return brokers
}

// checkCredentials refuses the form of credential the mode cannot use.
func checkCredentials(path string, mode Mode, refs, files map[string]bool, add func(string, string, ...any)) {
	bad, why := refs, "velo link outside Kubernetes cannot read Secrets: give the file instead (caFile, certFile, keyFile, usernameFile, passwordFile)"
	if mode == Cluster {
		bad, why = files, "is for velo link outside Kubernetes; in a cluster, reference a Secret (caSecretRef, certSecretRef, keySecretRef, usernameSecretRef, passwordSecretRef)"
	}
	keys := make([]string, 0, len(bad))
	for k, set := range bad {
		if set {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(path+"."+k, "%s", why)
	}
}

// sameBrokers returns a broker both lists name, or "".
func sameBrokers(a, b []string) string {
	for _, x := range a {
		if slices.Contains(b, x) {
			return x
		}
	}
	return ""
}

// validTopicName applies Kafka's character rules for topic names.
func validTopicName(t string) error {
	for i, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("character %q at byte %d: topic names use letters, digits, '.', '_' and '-'", r, i)
		}
	}
	return nil
}

// New validates a ClusterLink object for mode and builds its Link.
func New(obj *v1alpha1.ClusterLink, mode Mode) (*Link, error) {
	var errs Errors
	if obj.Name == "" {
		errs = append(errs, FieldError{Path: "metadata.name", Msg: "is required: it names the link's state topic, metrics and transactional ID"})
	} else if msgs := validation.IsDNS1123Subdomain(obj.Name); len(msgs) > 0 {
		errs = append(errs, FieldError{Path: "metadata.name", Msg: fmt.Sprintf("%q: %s", obj.Name, strings.Join(msgs, "; "))})
	}
	if obj.Namespace != "" {
		if msgs := validation.IsDNS1123Label(obj.Namespace); len(msgs) > 0 {
			errs = append(errs, FieldError{Path: "metadata.namespace", Msg: fmt.Sprintf("%q: %s", obj.Namespace, strings.Join(msgs, "; "))})
		}
	}
	errs = append(errs, Validate(&obj.Spec, mode)...)
	if st := StateTopic(obj.Namespace, obj.Name); len(st) > maxTopicName {
		errs = append(errs, FieldError{Path: "metadata.name", Msg: fmt.Sprintf("the state topic %s would be longer than Kafka's %d characters", st, maxTopicName)})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	spec := *obj.Spec.DeepCopy()
	l := &Link{
		Name:         obj.Name,
		Namespace:    obj.Namespace,
		Spec:         spec,
		Source:       connection(&spec.Source),
		Target:       connection(&spec.Target),
		Prefix:       spec.TopicPrefix,
		SyncInterval: DefaultSyncInterval,
		Filter:       spec.Filter,
		ExactlyOnce:  spec.ExactlyOnce,
		Failover:     spec.Failover,
	}
	if spec.SyncInterval != nil {
		l.SyncInterval = spec.SyncInterval.Duration
	}
	// The patterns compiled in Validate; these cannot fail.
	l.Topics, _ = NewSelector(spec.Topics.Include, spec.Topics.Exclude)
	if g := spec.ConsumerGroups; g != nil {
		l.Groups, _ = NewSelector(g.Include, g.Exclude)
	}
	return l, nil
}

func connection(c *v1alpha1.LinkConnection) Connection {
	var out Connection
	for _, b := range strings.Split(c.BootstrapServers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out.Brokers = append(out.Brokers, b)
		}
	}
	if t := c.TLS; t != nil && (t.Enabled || t.CAFile != "" || t.CertFile != "" || t.InsecureSkipVerify) {
		out.TLS = &TLS{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, InsecureSkipVerify: t.InsecureSkipVerify}
	}
	if s := c.SASL; s != nil {
		out.SASL = &SASL{Mechanism: string(s.Mechanism), UsernameFile: s.UsernameFile, PasswordFile: s.PasswordFile}
	}
	return out
}

// Load reads a ClusterLink YAML file for `velo link` (Local mode).
func Load(path string) (*Link, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("link config: %w", err)
	}
	l, err := Parse(b, Local)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// Parse decodes one ClusterLink object from YAML (or JSON) and validates it.
// Unknown fields are errors, so a misspelt key is not ignored; every error
// carries the line and column of the field it is about.
func Parse(b []byte, mode Mode) (*Link, error) {
	obj, doc, err := Decode(b)
	if err != nil {
		return nil, err
	}
	l, err := New(obj, mode)
	var fes Errors
	if errors.As(err, &fes) {
		for i := range fes {
			fes[i].Line, fes[i].Column = locate(doc, fes[i].Path)
		}
		return nil, fes
	}
	return l, err
}

// Decode reads one ClusterLink object and returns it with its YAML tree
// (for positions).
func Decode(b []byte) (*v1alpha1.ClusterLink, *yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, errors.New("empty: want a ClusterLink object (apiVersion: velostream.io/v1alpha1, kind: ClusterLink)")
		}
		return nil, nil, fmt.Errorf("not YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, fmt.Errorf("%d:%d: a second YAML document: the file must hold one ClusterLink", extra.Line, extra.Column)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%d:%d: want a ClusterLink object (a mapping), found %s", root.Line, root.Column, kindName(root))
	}
	v, err := plain(root)
	if err != nil {
		return nil, nil, err
	}
	m := v.(map[string]any)
	if got, _ := m["apiVersion"].(string); got != v1alpha1.GroupVersion.String() {
		l, c := locate(root, "apiVersion")
		return nil, nil, FieldError{Path: "apiVersion", Line: l, Column: c, Msg: fmt.Sprintf("%q: want %s", got, v1alpha1.GroupVersion)}
	}
	if got, _ := m["kind"].(string); got != v1alpha1.ClusterLinkKind {
		l, c := locate(root, "kind")
		return nil, nil, FieldError{Path: "kind", Line: l, Column: c, Msg: fmt.Sprintf("%q: want %s", got, v1alpha1.ClusterLinkKind)}
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("link config: %w", err)
	}
	jd := json.NewDecoder(bytes.NewReader(js))
	jd.DisallowUnknownFields()
	var obj v1alpha1.ClusterLink
	if err := jd.Decode(&obj); err != nil {
		return nil, nil, jsonError(root, err)
	}
	return &obj, root, nil
}

// jsonError places a decoding error at the field it is about.
func jsonError(root *yaml.Node, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		l, c := locate(root, te.Field)
		return FieldError{Path: te.Field, Line: l, Column: c, Msg: fmt.Sprintf("want %s, found %s", jsonTypeName(te.Type.String()), te.Value)}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		path, n := findKey(root, name, "")
		fe := FieldError{Path: name, Msg: "unknown field"}
		if n != nil {
			fe.Path, fe.Line, fe.Column = path, n.Line, n.Column
		}
		return fe
	}
	// Field-specific decoders (durations, quantities) say what is wrong
	// without the field; the message is still the best there is.
	return fmt.Errorf("link config: %s", strings.TrimPrefix(msg, "json: "))
}

func jsonTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map[") || strings.Contains(t, "."):
		return "an object"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	default:
		return "a number"
	}
}

// plain converts a YAML tree to the values encoding/json produces, so the
// object decodes through its JSON tags exactly as the API server would.
func plain(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return plain(n.Content[0])
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%d:%d: a key must be a plain string", k.Line, k.Column)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("%d:%d: key %q appears twice", k.Line, k.Column, k.Value)
			}
			v, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%d:%d: %w", n.Line, n.Column, err)
		}
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case time.Time:
			// JSON has no timestamps; keep the text as written.
			return n.Value, nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("%d:%d: unsupported YAML node", n.Line, n.Column)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// locate finds the line and column of the field at path ("spec.topics.
// include[1]") in the YAML tree, or of its closest parent that exists.
func locate(root *yaml.Node, path string) (line, col int) {
	if root == nil {
		return 0, 0
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	line, col = n.Line, n.Column
	for _, part := range splitPath(path) {
		name, idx := part.name, part.index
		if name != "" {
			if n.Kind != yaml.MappingNode {
				return line, col
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					line, col = n.Content[i].Line, n.Content[i].Column
					next = n.Content[i+1]
					break
				}
			}
			if next == nil {
				return line, col
			}
			n = next
		}
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line, col
			}
			n = n.Content[idx]
			line, col = n.Line, n.Column
		}
	}
	return line, col
}

type pathPart struct {
	name  string
	index int
}

func splitPath(path string) []pathPart {
	var out []pathPart
	for _, seg := range strings.Split(path, ".") {
		p := pathPart{name: seg, index: -1}
		if i := strings.IndexByte(seg, '['); i >= 0 && strings.HasSuffix(seg, "]") {
			if n, err := strconv.Atoi(seg[i+1 : len(seg)-1]); err == nil {
				p.name, p.index = seg[:i], n
			}
		}
		out = append(out, p)
	}
	return out
}

// findKey finds the first mapping key called name, depth first, and its
// path.
func findKey(n *yaml.Node, name, path string) (string, *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if p, k := findKey(c, name, path); k != nil {
				return p, k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if k.Value == name {
				return p, k
			}
			if pp, kk := findKey(n.Content[i+1], name, p); kk != nil {
				return pp, kk
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p, k := findKey(c, name, fmt.Sprintf("%s[%d]", path, i)); k != nil {
				return p, k
			}
		}
	}
	return "", nil
}
