/**
 * The F5 NGINX Ingress Controller (nginx/kubernetes-ingress), switched by `addons.ingress`. The
 * community kubernetes/ingress-nginx was retired in March 2026. The ingress load balancer of the
 * stack forwards 80/443 to its NodePorts on the workers.
 *
 * Chart pin: nginx-ingress 2.6.4, read from nginxinc/helm-charts master:stable/index.yaml (what
 * https://helm.nginx.com/stable serves; nginx/kubernetes-ingress publish-helm.yml pushes it
 * there), snapshot 2026-07-17; appVersion 5.5.4, digest 9bdca757…3577, kubeVersion >= 1.25.0-0.
 * 2.7.x is unreleased (only on nginx/kubernetes-ingress main, appVersion 5.6.0, no tag). Facts:
 * infra/facts/charts/nginx-ingress.json.
 */
import { z } from "zod";
import type { Addon } from "./addon";

export const nginxIngress = {
  name: "nginx-ingress",
  switch: {
    key: "ingress",
    field: z
      .enum(["nginx", "none"])
      .default("nginx")
      .describe("Ingress controller: the F5 NGINX Ingress Controller, or none."),
    off: "none",
    position: 1,
  },
  enabled: (params): boolean => params.addons.ingress === "nginx",
  manifests: [
    {
      name: "nginx-ingress",
      chart: { chart: "nginx-ingress", repo: "https://helm.nginx.com/stable", version: "2.6.4" },
    },
  ],
} as const satisfies Addon;
