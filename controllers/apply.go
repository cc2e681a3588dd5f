package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// applier applies children with server-side apply under one field owner,
// and skips an apply it already made when the object has not changed since:
// a reconcile set off by a status change of the parent then costs no API
// request. A hand edit changes the object's resourceVersion, so drift is
// still put back. (cluster-api's ssa.Patch caching proxy works the same way.)
type applier struct {
	client client.Client
	scheme *runtime.Scheme
	owner  string
	// typed are the kinds whose whole object the controllers read back
	// (a Deployment's status, a StreamingQuery's status); the cache holds
	// every other child as metadata only, which is all the skip check
	// needs.
	typed map[schema.GroupKind]bool

	mu   sync.Mutex
	seen map[appliedKey]appliedVersion
}

type appliedKey struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

type appliedVersion struct {
	intent          [sha256.Size]byte // hash of what was applied
	resourceVersion string            // the object's version right after
}

func newApplier(c client.Client, scheme *runtime.Scheme, owner string, typed ...schema.GroupKind) *applier {
	a := &applier{client: c, scheme: scheme, owner: owner, seen: map[appliedKey]appliedVersion{}, typed: map[schema.GroupKind]bool{}}
	for _, gk := range typed {
		a.typed[gk] = true
	}
	return a
}

// cached returns the cache's copy of obj: typed for the typed kinds, else
// its metadata.
func (a *applier) cached(ctx context.Context, obj client.Object, gvk schema.GroupVersionKind) (client.Object, error) {
	var current client.Object
	if a.typed[gvk.GroupKind()] {
		current = obj.DeepCopyObject().(client.Object)
	} else {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(gvk)
		current = m
	}
	err := a.client.Get(ctx, client.ObjectKeyFromObject(obj), current)
	return current, err
}

// apply makes obj (a typed object from a make* builder) owned by parent
// and applies it. It returns the object as stored: the API server's answer,
// or when the apply was skipped the cache's copy (for the typed kinds; the
// others return obj as built).
func (a *applier) apply(ctx context.Context, parent, obj client.Object) (client.Object, error) {
	if err := controllerutil.SetControllerReference(parent, obj, a.scheme); err != nil {
		return nil, fmt.Errorf("owner reference on %s: %w", obj.GetName(), err)
	}
	gvk, err := apiutil.GVKForObject(obj, a.scheme)
	if err != nil {
		return nil, err
	}
	u, err := toApplyUnstructured(obj, gvk, a.scheme)
	if err != nil {
		return nil, err
	}
	intent, err := hashObject(u.Object)
	if err != nil {
		return nil, err
	}
	key := appliedKey{gk: gvk.GroupKind(), namespace: obj.GetNamespace(), name: obj.GetName()}

	// The cached object tells whether anything changed it since the last
	// apply with the same intent.
	current, err := a.cached(ctx, obj, gvk)
	switch {
	case err == nil:
		if a.unchanged(key, intent, current.GetResourceVersion()) {
			if a.typed[gvk.GroupKind()] {
				return current, nil
			}
			return obj, nil
		}
	case apierrors.IsNotFound(err):
	default:
		return nil, fmt.Errorf("get %s %s: %w", gvk.Kind, obj.GetName(), err)
	}

	if err := a.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(a.owner), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	if err := a.scheme.Convert(u, obj, nil); err != nil {
		return nil, fmt.Errorf("read back %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	a.remember(key, intent, obj.GetResourceVersion())
	return obj, nil
}

func (a *applier) unchanged(key appliedKey, intent [sha256.Size]byte, rv string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := a.seen[key]
	return ok && v.intent == intent && v.resourceVersion == rv
}

func (a *applier) remember(key appliedKey, intent [sha256.Size]byte, rv string) {
	a.mu.Lock()
	a.seen[key] = appliedVersion{intent: intent, resourceVersion: rv}
	a.mu.Unlock()
}

// forget drops what is known of an object, after it is deleted.
func (a *applier) forget(gk schema.GroupKind, namespace, name string) {
	a.mu.Lock()
	delete(a.seen, appliedKey{gk: gk, namespace: namespace, name: name})
	a.mu.Unlock()
}

// toApplyUnstructured turns a typed object into an apply request: only the
// fields a controller has an opinion on. Typed structs serialise zero
// values such as creationTimestamp: null and status: {}, which an apply
// would otherwise claim.
func toApplyUnstructured(obj client.Object, gvk schema.GroupVersionKind, scheme *runtime.Scheme) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", obj.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	delete(u.Object, "status")
	md, _ := u.Object["metadata"].(map[string]any)
	for k := range md {
		switch k {
		case "name", "namespace", "labels", "annotations", "ownerReferences":
		default:
			delete(md, k)
		}
	}
	dropNulls(u.Object)
	return u, nil
}

// dropNulls removes null values (creationTimestamp: null in a pod
// template) that typed structs emit for fields nobody set. Empty objects
// stay: `emptyDir: {}` means something.
func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil {
				delete(v, k)
				continue
			}
			dropNulls(x)
		}
	case []any:
		for _, x := range v {
			dropNulls(x)
		}
	}
}

func hashObject(m map[string]any) ([sha256.Size]byte, error) {
	// encoding/json sorts map keys, so equal objects hash equally.
	b, err := json.Marshal(m)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// deleteIfExists deletes an object the controller no longer wants (a
// monitoring child turned off, a notebook cell removed). It reads the cache
// first so that the common case, nothing to delete, makes no request.
func (a *applier) deleteIfExists(ctx context.Context, obj client.Object) error {
	gvk, err := apiutil.GVKForObject(obj, a.scheme)
	if err != nil {
		return err
	}
	current, err := a.cached(ctx, obj, gvk)
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	if !current.GetDeletionTimestamp().IsZero() {
		return nil
	}
	// Only delete what this operator made: a same-named object someone
	// else owns is not ours to remove.
	if current.GetLabels()[LabelManagedBy] != ManagedBy {
		return nil
	}
	err = a.client.Delete(ctx, current, client.Preconditions{UID: ptr.To(current.GetUID())}, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	a.forget(gvk.GroupKind(), obj.GetNamespace(), obj.GetName())
	return nil
}

// childRef names one applied child.
type childRef struct {
	gvk schema.GroupVersionKind
	key client.ObjectKey
}

// pass collects the children one reconcile applies, so the next reconcile
// can tell in a few cache reads whether any of them changed since.
type pass struct {
	a    *applier
	refs []childRef
}

func (a *applier) newPass() *pass { return &pass{a: a} }

func (p *pass) apply(ctx context.Context, parent, obj client.Object) (client.Object, error) {
	out, err := p.a.apply(ctx, parent, obj)
	if err != nil {
		return out, err
	}
	gvk, err := apiutil.GVKForObject(obj, p.a.scheme)
	if err != nil {
		return out, err
	}
	p.refs = append(p.refs, childRef{gvk: gvk, key: client.ObjectKeyFromObject(obj)})
	return out, nil
}

// unchanged reports whether every child is still as this operator last
// applied it (same resourceVersion in the cache).
func (a *applier) unchangedSince(ctx context.Context, refs []childRef) (bool, error) {
	for _, r := range refs {
		obj, err := a.scheme.New(r.gvk)
		if err != nil {
			return false, err
		}
		co, ok := obj.(client.Object)
		if !ok {
			return false, fmt.Errorf("%s is not an object", r.gvk)
		}
		co.SetNamespace(r.key.Namespace)
		co.SetName(r.key.Name)
		current, err := a.cached(ctx, co, r.gvk)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		a.mu.Lock()
		v, seen := a.seen[appliedKey{gk: r.gvk.GroupKind(), namespace: r.key.Namespace, name: r.key.Name}]
		a.mu.Unlock()
		if !seen || v.resourceVersion != current.GetResourceVersion() {
			return false, nil
		}
	}
	return true, nil
}
