{{/*
What the operator does in a namespace where silo workers run (the hub's, for
silos without spec.cluster; a regional cluster's, through its kubeconfig):
provision the worker's ServiceAccount, TLS Secret and NetworkPolicy, run and
delete worker Jobs, and read RegionSilos' kubeconfig Secrets.
*/}}
{{- define "fedcrm.rbac.siloRules" -}}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create, update, delete]
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get, create, update]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, create, update]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete]
{{- end }}

{{/* Residency checks list the nodes a worker could land on. */}}
{{- define "fedcrm.rbac.nodeRules" -}}
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
{{- end }}
