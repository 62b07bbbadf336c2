/**
 * Jenkins (jenkinsci/helm-charts), switched by `addons.jenkins`: agents run as pods in the
 * cluster, and the JCasC the bot commits is applied by the chart's reload sidecar.
 *
 * Chart pin: jenkins 5.9.53, read from jenkinsci/helm-charts gh-pages:index.yaml, snapshot
 * 2026-08-07; appVersion 2.568.2, digest dc277e78…cd00. The newest in that index. Facts:
 * infra/facts/charts/jenkins.json.
 */
import { z } from "zod";
import type { Addon } from "./addon";

export const jenkins = {
  name: "jenkins",
  switch: {
    key: "jenkins",
    field: z
      .boolean()
      .default(true)
      .describe("Install Jenkins with agents as pods in the cluster."),
    off: false,
    position: 2,
  },
  enabled: (params): boolean => params.addons.jenkins,
  manifests: [
    {
      name: "jenkins",
      chart: { chart: "jenkins", repo: "https://charts.jenkins.io", version: "5.9.53" },
      // On EFS the controller's home survives the loss of the worker it ran on; local-path
      // (k3s' default) would tie it to one worker that scale-in may remove.
      values: (params) => ({ JENKINS_STORAGE_CLASS: params.efsFileSystemId ? "efs" : "" }),
    },
  ],
} as const satisfies Addon;
