// fedcrm-operator-peer: the memory peer of fedcrm-operator in the operator
// benchmark (bench/operator/run.sh). A controller-runtime manager that caches
// the same objects the fedcrm operator does - RegionSilos, FederatedRounds and
// FederatedModels (unstructured), plus batch/v1 Jobs - with reconcilers of
// similar scope: a round is read from the cache, the silos of its namespace are
// listed and counted against spec.siloSelector and spec.minParticipants, and
// the round's status is written when admission fails and the status differs.
// It is a benchmark peer, not an operator: it schedules nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

var (
	siloGVK  = schema.GroupVersionKind{Group: "fedcrm.io", Version: "v1alpha1", Kind: "RegionSilo"}
	roundGVK = schema.GroupVersionKind{Group: "fedcrm.io", Version: "v1alpha1", Kind: "FederatedRound"}
	modelGVK = schema.GroupVersionKind{Group: "fedcrm.io", Version: "v1alpha1", Kind: "FederatedModel"}
)

func newObject(gvk schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

func newList(gvk schema.GroupVersionKind) *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	return l
}

// readyCondition reports whether status.conditions holds type Ready, status True.
func readyCondition(u *unstructured.Unstructured) bool {
	conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conditions {
		m, ok := c.(map[string]interface{})
		if ok && m["type"] == "Ready" && m["status"] == "True" {
			return true
		}
	}
	return false
}

type roundReconciler struct{ client.Client }

func (r *roundReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	round := newObject(roundGVK)
	if err := r.Get(ctx, req.NamespacedName, round); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	selector := labels.Everything()
	if raw, found, _ := unstructured.NestedMap(round.Object, "spec", "siloSelector"); found {
		var ls metav1.LabelSelector
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
			return ctrl.Result{}, nil // a bad selector is the user's to fix; nothing to retry
		}
		s, err := metav1.LabelSelectorAsSelector(&ls)
		if err != nil {
			return ctrl.Result{}, nil
		}
		selector = s
	}
	silos := newList(siloGVK)
	if err := r.List(ctx, silos, client.InNamespace(req.Namespace),
		client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return ctrl.Result{}, err
	}
	eligible := int64(0)
	for i := range silos.Items {
		if readyCondition(&silos.Items[i]) {
			eligible++
		}
	}
	need, _, _ := unstructured.NestedInt64(round.Object, "spec", "minParticipants")
	if eligible >= need {
		return ctrl.Result{}, nil // a real operator would reserve budget and schedule here
	}
	phase, _, _ := unstructured.NestedString(round.Object, "status", "phase")
	if phase == "Failed" {
		return ctrl.Result{}, nil
	}
	now := metav1.Now().UTC().Format("2006-01-02T15:04:05Z")
	_ = unstructured.SetNestedField(round.Object, "Failed", "status", "phase")
	_ = unstructured.SetNestedSlice(round.Object, []interface{}{map[string]interface{}{
		"type": "Failed", "status": "True", "reason": "InsufficientParticipants",
		"message":            fmt.Sprintf("%d eligible silos, minParticipants %d", eligible, need),
		"lastTransitionTime": now, "observedGeneration": round.GetGeneration(),
	}}, "status", "conditions")
	err := r.Status().Update(ctx, round)
	if apierrors.IsConflict(err) {
		return ctrl.Result{Requeue: true}, nil
	}
	return ctrl.Result{}, err
}

// getReconciler reads the object from the cache and does nothing else: the
// silo and model controllers' share of cache reads.
type getReconciler struct {
	client.Client
	gvk schema.GroupVersionKind
}

func (r *getReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return ctrl.Result{}, client.IgnoreNotFound(r.Get(ctx, req.NamespacedName, newObject(r.gvk)))
}

// controllerOptions gives each controller fedcrm-operator's worker count.
func controllerOptions(workers int) controller.Options {
	return controller.Options{MaxConcurrentReconciles: workers}
}

func main() {
	namespace := flag.String("namespace", "", "watch only this namespace (default: all)")
	metricsAddr := flag.String("metrics-bind-address", "127.0.0.1:8081", "plain HTTP /metrics")
	stripManaged := flag.Bool("strip-managed-fields", false,
		"drop metadata.managedFields before objects enter the cache")
	flag.Parse()

	// --kubeconfig is controller-runtime's own flag (else $KUBECONFIG, in-cluster).
	config, err := ctrl.GetConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
	cacheOptions := cache.Options{}
	if *namespace != "" {
		cacheOptions.DefaultNamespaces = map[string]cache.Config{*namespace: {}}
	}
	if *stripManaged {
		cacheOptions.DefaultTransform = cache.TransformStripManagedFields()
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	mgr, err := ctrl.NewManager(config, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  cacheOptions,
		Metrics:                metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
	// Jobs map back to their round through the label the fedcrm operator sets.
	jobToRound := handler.EnqueueRequestsFromMapFunc(
		func(_ context.Context, o client.Object) []ctrl.Request {
			if name := o.GetLabels()["fedcrm.io/round"]; name != "" {
				return []ctrl.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}}}
			}
			return nil
		})
	err = ctrl.NewControllerManagedBy(mgr).Named("federatedround").For(newObject(roundGVK)).
		Watches(&batchv1.Job{}, jobToRound).WithOptions(controllerOptions(4)).
		Complete(&roundReconciler{mgr.GetClient()})
	if err == nil {
		err = ctrl.NewControllerManagedBy(mgr).Named("regionsilo").For(newObject(siloGVK)).
			WithOptions(controllerOptions(2)).Complete(&getReconciler{mgr.GetClient(), siloGVK})
	}
	if err == nil {
		err = ctrl.NewControllerManagedBy(mgr).Named("federatedmodel").For(newObject(modelGVK)).
			WithOptions(controllerOptions(1)).Complete(&getReconciler{mgr.GetClient(), modelGVK})
	}
	if err == nil {
		err = mgr.Start(ctrl.SetupSignalHandler())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}
