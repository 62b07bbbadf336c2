/**
 * Every add-on chart k3s installs, pinned in this one place. A pin that is not in its chart
 * repository's index never installs (helm-controller retries the failing `helm install` job
 * forever), so each version below was read from the index itself.
 *
 * A pin moves together with its facts file, `infra/facts/charts/<chart>.json`, written by
 * `scripts/chart-facts.py` from the chart's source at its release tag: the index entry it was
 * checked against (repository, branch, file, snapshot date, appVersion, digest) and the value
 * keys that chart version declares. `test/bootstrap/facts.test.ts` fails when a pin and its
 * facts disagree, or when a manifest sets a value key the pinned chart does not have.
 *
 * Evidence (chart index snapshot: repository, branch:file, date of the snapshot's newest commit):
 * - aws-cloud-controller-manager 0.0.11: kubernetes/cloud-provider-aws gh-pages:index.yaml,
 *   2026-03-25; appVersion v1.35.0, digest 3da2227e…886f. The newest (and only 0.0.x after
 *   0.0.10); it differs from 0.0.10 only in the default image tag, which we override per k3s
 *   minor (CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR).
 * - aws-efs-csi-driver 4.4.1: kubernetes-sigs/aws-efs-csi-driver gh-pages:index.yaml,
 *   2026-07-23; appVersion (driver) 3.4.1, digest 6e1546bf…0758, kubeVersion >=1.17.0-0. The
 *   newest in that index (3.x ended at 3.4.1; 4.0.0 came with driver 3.0.0).
 * - cluster-autoscaler 9.59.0: kubernetes/autoscaler gh-pages:index.yaml, 2026-07-26;
 *   appVersion 1.35.0, digest 90276daf…8f6e; from 9.56.0 only RBAC rules and an Azure variable
 *   were added, so older images (pinned per minor below) run under it.
 * - nginx-ingress 2.6.4: nginxinc/helm-charts master:stable/index.yaml (what
 *   https://helm.nginx.com/stable serves; nginx/kubernetes-ingress publish-helm.yml pushes it
 *   there), 2026-07-17; appVersion 5.5.4, digest 9bdca757…3577, kubeVersion >= 1.25.0-0. 2.7.x is
 *   unreleased (only on nginx/kubernetes-ingress main, appVersion 5.6.0, no tag).
 * - argo-cd 10.1.1: argoproj/argo-helm gh-pages:index.yaml, 2026-07-02; appVersion v3.4.4,
 *   digest a677dfa6…20e5, kubeVersion >=1.25.0-0. The newest in that index.
 * - argocd-apps 2.0.5: same index; digest 037b6cb7…60b9. Holds the root Application and its
 *   AppProject (see manifests/argocd-root.yaml for why they are not in the argo-cd release).
 * - jenkins 5.9.53: jenkinsci/helm-charts gh-pages:index.yaml, 2026-08-07; appVersion 2.568.2,
 *   digest dc277e78…cd00. The newest in that index.
 */
export interface ChartPin {
  /** Chart name in the repository. */
  chart: string;
  /** Helm repository URL (spec.repo of k3s' HelmChart). */
  repo: string;
  version: string;
}

export const CHARTS = {
  awsCloudControllerManager: {
    chart: "aws-cloud-controller-manager",
    repo: "https://kubernetes.github.io/cloud-provider-aws",
    version: "0.0.11",
  },
  awsEfsCsiDriver: {
    chart: "aws-efs-csi-driver",
    repo: "https://kubernetes-sigs.github.io/aws-efs-csi-driver",
    version: "4.4.1",
  },
  clusterAutoscaler: {
    chart: "cluster-autoscaler",
    repo: "https://kubernetes.github.io/autoscaler",
    version: "9.59.0",
  },
  nginxIngress: {
    chart: "nginx-ingress",
    repo: "https://helm.nginx.com/stable",
    version: "2.6.4",
  },
  argoCd: {
    chart: "argo-cd",
    repo: "https://argoproj.github.io/argo-helm",
    version: "10.1.1",
  },
  argoCdApps: {
    chart: "argocd-apps",
    repo: "https://argoproj.github.io/argo-helm",
    version: "2.0.5",
  },
  jenkins: {
    chart: "jenkins",
    repo: "https://charts.jenkins.io",
    version: "5.9.53",
  },
} as const satisfies Record<string, ChartPin>;

/**
 * cluster-autoscaler must match the cluster's Kubernetes minor version (its README's
 * compatibility rule), whatever the chart's default appVersion is. Each tag is a release of
 * kubernetes/autoscaler (git tags cluster-autoscaler-1.31.4, -1.32.3, -1.33.1, -1.34.0; newer
 * patches exist up to 1.31.5, 1.32.7, 1.33.6, 1.34.5). For 1.35 the chart's default (appVersion
 * 1.35.0 at 9.59.0) already matches, so a minor not listed keeps the chart's default image.
 */
export const CLUSTER_AUTOSCALER_IMAGE_BY_MINOR: Readonly<Record<string, string>> = {
  "1.31": "v1.31.4",
  "1.32": "v1.32.3",
  "1.33": "v1.33.1",
  "1.34": "v1.34.0",
};

/**
 * registry.k8s.io/provider-aws/cloud-controller-manager tag for each k3s minor. Kubernetes'
 * version skew policy forbids a cloud-controller-manager newer than the API server, and the
 * chart's default image follows the newest Kubernetes (v1.35.0 in chart 0.0.11), so the tag is
 * always set. Each is the newest patch of that minor that Kubernetes' image promoter publishes:
 * kubernetes/k8s.io registry.k8s.io/images/k8s-staging-provider-aws/images.yaml (commit
 * 0137eda2), entry cloud-controller-manager; not every git tag of kubernetes/cloud-provider-aws
 * is promoted (v1.33.1 and v1.33.3 are not). A k3s minor missing here is refused by the
 * definition rules (infra/definition/rules.ts), never run with a mismatched controller.
 */
export const CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR: Readonly<Record<string, string>> = {
  "1.31": "v1.31.9",
  "1.32": "v1.32.8",
  "1.33": "v1.33.4",
  "1.34": "v1.34.3",
  "1.35": "v1.35.2",
};
