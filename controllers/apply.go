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

func newApplier(c client.Client, scheme *runtime.Scheme, owner string) *applier {
	return &applier{client: c, scheme: scheme, owner: owner, seen: map[appliedKey]appliedVersion{}}
}

// apply makes obj (a typed object from a make* builder) owned by parent
// and applies it. It returns the object as stored: from the cache when the
// apply was skipped, else the API server's answer.
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
	current := obj.DeepCopyObject().(client.Object)
	err = a.client.Get(ctx, client.ObjectKeyFromObject(obj), current)
	switch {
	case err == nil:
		if a.unchanged(key, intent, current.GetResourceVersion()) {
			return current, nil
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
	err = a.client.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return nil
	}
	// Only delete what this operator made: a same-named object someone
	// else owns is not ours to remove.
	if obj.GetLabels()[LabelManagedBy] != ManagedBy {
		return nil
	}
	err = a.client.Delete(ctx, obj, client.Preconditions{UID: ptr.To(obj.GetUID())}, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	a.forget(gvk.GroupKind(), obj.GetNamespace(), obj.GetName())
	return nil
}
