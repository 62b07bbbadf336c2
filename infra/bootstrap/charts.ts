/**
 * Every add-on chart k3s installs, pinned in this one place (versions checked 2026-11).
 * Bump a version here and the HelmChart manifests, the tests and the README follow.
 *
 * Evidence for each pin (release pages and the charts' own Chart.yaml as of the check):
 * - aws-cloud-controller-manager 0.0.10: kubernetes/cloud-provider-aws charts/, appVersion v1.34.0.
 * - aws-efs-csi-driver 3.1.4: kubernetes-sigs/aws-efs-csi-driver, appVersion 2.1.3, the newest
 *   chart version we could confirm; driver v3.2.0 (2026-05) exists, bump once its chart version
 *   is confirmed on the chart index.
 * - cluster-autoscaler 9.56.0: kubernetes/autoscaler chart release of 2026-03-02.
 * - nginx-ingress 2.7.2: nginx/kubernetes-ingress charts/ (F5 NGINX Ingress Controller 5.x).
 * - argo-cd 10.1.3: argoproj/argo-helm release of 2026-07.
 * - jenkins 5.9.56: jenkinsci/helm-charts release of 2026-09 (Jenkins LTS 2.568.3, JDK 21).
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
    version: "0.0.10",
  },
  awsEfsCsiDriver: {
    chart: "aws-efs-csi-driver",
    repo: "https://kubernetes-sigs.github.io/aws-efs-csi-driver",
    version: "3.1.4",
  },
  clusterAutoscaler: {
    chart: "cluster-autoscaler",
    repo: "https://kubernetes.github.io/autoscaler",
    version: "9.56.0",
  },
  nginxIngress: {
    chart: "nginx-ingress",
    repo: "https://helm.nginx.com/stable",
    version: "2.7.2",
  },
  argoCd: {
    chart: "argo-cd",
    repo: "https://argoproj.github.io/argo-helm",
    version: "10.1.3",
  },
  jenkins: {
    chart: "jenkins",
    repo: "https://charts.jenkins.io",
    version: "5.9.56",
  },
} as const satisfies Record<string, ChartPin>;

/**
 * cluster-autoscaler must match the cluster's Kubernetes minor version (its README's
 * compatibility rule), whatever the chart's default appVersion is. Tags as used by kops for each
 * minor (checked 2026-11); a k3s minor not listed here keeps the chart's default image.
 */
export const CLUSTER_AUTOSCALER_IMAGE_BY_MINOR: Readonly<Record<string, string>> = {
  "1.31": "v1.31.4",
  "1.32": "v1.32.3",
  "1.33": "v1.33.1",
  "1.34": "v1.34.0",
};
