/**
 * Argo CD (argoproj/argo-helm), switched by `addons.argocd`, with its root Application pointed
 * at the cluster's folder in the GitOps repository when the bot is configured with one.
 *
 * Chart pins, both read from argoproj/argo-helm gh-pages:index.yaml, snapshot 2026-07-02:
 * - argo-cd 10.1.1: appVersion v3.4.4, digest a677dfa6…20e5, kubeVersion >=1.25.0-0. The newest
 *   in that index. Facts: infra/facts/charts/argo-cd.json.
 * - argocd-apps 2.0.5: digest 037b6cb7…60b9. Holds the root Application and its AppProject (see
 *   infra/bootstrap/manifests/argocd-root.yaml for why they are not in the argo-cd release).
 *   Facts: infra/facts/charts/argocd-apps.json.
 */
import { z } from "zod";
import type { Addon } from "./addon";

const ARGO_HELM = "https://argoproj.github.io/argo-helm";

export const argoCd = {
  name: "argo-cd",
  switch: {
    key: "argocd",
    field: z
      .boolean()
      .default(true)
      .describe("Install Argo CD, pointed at this cluster's folder in the repository."),
    off: false,
    position: 3,
  },
  enabled: (params): boolean => params.addons.argocd,
  manifests: [
    { name: "argo-cd", chart: { chart: "argo-cd", repo: ARGO_HELM, version: "10.1.1" } },
    {
      name: "argocd-root",
      chart: { chart: "argocd-apps", repo: ARGO_HELM, version: "2.0.5" },
      // Without a repository (the bot not configured with one) Argo CD is installed alone.
      values: (params) =>
        params.gitops && {
          ARGOCD_REPO_URL: params.gitops.repoUrl,
          ARGOCD_PATH: params.gitops.path,
          ARGOCD_REVISION: params.gitops.revision,
        },
    },
  ],
} as const satisfies Addon;
