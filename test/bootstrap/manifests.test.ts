/**
 * The add-on HelmCharts: each parses, has what k3s' helm-controller requires, uses the pins of
 * its add-on (infra/addons/), and sets the values its chart documents (names cited per chart
 * below).
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cloudControllerManagerImageTag } from "../../infra/addons/aws-cloud-controller-manager";
import { autoscalerImageTag } from "../../infra/addons/cluster-autoscaler";
import { addonCharts } from "../../infra/addons/registry";
import { renderManifests } from "../../infra/bootstrap/manifests";
import { haParams } from "./world";

interface HelmChart {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: {
    chart: string;
    repo: string;
    version: string;
    targetNamespace: string;
    bootstrap?: boolean;
    valuesContent: string;
  };
}

// biome-ignore lint/suspicious/noExplicitAny: chart values are free-form YAML checked key by key.
type Values = any;

function charts(params = haParams()): Map<string, { chart: HelmChart; values: Values }> {
  return new Map(
    renderManifests(params).map((m) => {
      const chart = parse(m.content) as HelmChart;
      expect(m.fileName).toBe(`k3s-bot-${chart.metadata.name}.yaml`);
      return [chart.metadata.name, { chart, values: parse(chart.spec.valuesContent) as Values }];
    }),
  );
}

function get(name: string, params = haParams()) {
  const found = charts(params).get(name);
  if (!found) throw new Error(`no ${name} manifest`);
  return found;
}

describe("HelmChart manifests", () => {
  it("each parses and has the fields helm-controller requires, with the pins of its add-on", () => {
    const all = charts();
    expect([...all.keys()].sort()).toEqual([
      "argo-cd",
      "argocd-root",
      "aws-cloud-controller-manager",
      "aws-efs-csi-driver",
      "cluster-autoscaler",
      "jenkins",
      "nginx-ingress",
    ]);
    const pins = addonCharts();
    for (const { chart } of all.values()) {
      expect(chart.apiVersion).toBe("helm.cattle.io/v1");
      expect(chart.kind).toBe("HelmChart");
      expect(chart.metadata.namespace).toBe("kube-system");
      expect(chart.spec.targetNamespace).toMatch(/^[a-z0-9-]+$/);
      const pin = pins.find((p) => p.chart === chart.spec.chart);
      expect(pin, chart.metadata.name).toBeDefined();
      expect(chart.spec.repo).toBe(pin?.repo);
      expect(chart.spec.version).toBe(pin?.version);
      expect(chart.spec.version).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it("installs only what the definition asks for", () => {
    const minimal = haParams({
      efsFileSystemId: undefined,
      addons: { ingress: "none", jenkins: false, argocd: false },
      workers: { ...haParams().workers, scaling: "cpu" },
    });
    expect([...charts(minimal).keys()]).toEqual(["aws-cloud-controller-manager"]);
  });

  // cloud-provider-aws chart values: args, image.tag, nodeSelector, tolerations, hostNetworking.
  it("aws-cloud-controller-manager: AWS provider, no cloud routes, on k3s' control-plane label", () => {
    const { chart, values } = get("aws-cloud-controller-manager");
    // Never newer than the API server (Kubernetes' version skew policy): the image of the
    // cluster's minor, not the chart's default (v1.35.0 at 0.0.11).
    expect(values.image).toEqual({ tag: "v1.33.4" });
    expect(
      get("aws-cloud-controller-manager", haParams({ k3sVersion: "v1.31.2+k3s1" })).values.image,
    ).toEqual({ tag: "v1.31.9" });
    expect(() => cloudControllerManagerImageTag("v1.99.0+k3s1")).toThrow(/no cloud-controller/);
    expect(chart.spec.bootstrap).toBe(true);
    expect(chart.spec.targetNamespace).toBe("kube-system");
    expect(values.args).toEqual(
      expect.arrayContaining([
        "--cloud-provider=aws",
        "--configure-cloud-routes=false",
        "--cluster-name=prod",
      ]),
    );
    expect(values.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "true" });
    expect(values.hostNetworking).toBe(true);
    expect(values.tolerations).toEqual(
      expect.arrayContaining([
        {
          key: "node.cloudprovider.kubernetes.io/uninitialized",
          value: "true",
          effect: "NoSchedule",
        },
        { key: "CriticalAddonsOnly", operator: "Exists" },
      ]),
    );
  });

  // aws-efs-csi-driver chart values: storageClasses[], controller.nodeSelector/tolerations;
  // StorageClass parameters provisioningMode, fileSystemId, directoryPerms (driver docs).
  it("aws-efs-csi-driver: the efs StorageClass provisions through access points", () => {
    const { values } = get("aws-efs-csi-driver");
    expect(values.storageClasses).toEqual([
      {
        name: "efs",
        parameters: {
          provisioningMode: "efs-ap",
          fileSystemId: expect.stringContaining("TfToken"),
          directoryPerms: "700",
        },
        reclaimPolicy: "Delete",
        volumeBindingMode: "Immediate",
      },
    ]);
    expect(values.controller.nodeSelector).toEqual({
      "node-role.kubernetes.io/control-plane": "true",
    });
  });

  // cluster-autoscaler chart values: cloudProvider, awsRegion, autoDiscovery.clusterName,
  // image.tag, nodeSelector, tolerations, extraArgs.
  it("cluster-autoscaler: AWS auto-discovery by cluster name, on the servers, image matching the minor", () => {
    const { values } = get("cluster-autoscaler");
    expect(values.cloudProvider).toBe("aws");
    expect(values.awsRegion).toBe("eu-central-1");
    expect(values.autoDiscovery).toEqual({ clusterName: "prod" });
    expect(values.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "true" });
    expect(values.tolerations).toEqual([{ key: "CriticalAddonsOnly", operator: "Exists" }]);
    expect(values.image).toEqual({ tag: "v1.33.1" });
    expect(autoscalerImageTag("v1.99.0+k3s1")).toBe("");
    // 1.35: the chart's own default (appVersion 1.35.0 at 9.59.0) already matches.
    const newest = get("cluster-autoscaler", haParams({ k3sVersion: "v1.35.2+k3s1" })).values;
    expect(newest.image).toBeUndefined();
  });

  // nginx-ingress (F5) chart values: controller.service.type, controller.service.httpPort.nodePort,
  // controller.service.httpsPort.nodePort, controller.ingressClass.name/setAsDefaultIngress.
  it("nginx-ingress: the F5 chart, NodePort 30080/30443 for the ingress NLB", () => {
    const { chart, values } = get("nginx-ingress");
    expect(chart.spec.repo).toBe("https://helm.nginx.com/stable");
    expect(chart.spec.chart).toBe("nginx-ingress");
    expect(values.controller.service).toEqual({
      type: "NodePort",
      httpPort: { nodePort: 30080 },
      httpsPort: { nodePort: 30443 },
    });
    expect(values.controller.ingressClass).toEqual({ name: "nginx", setAsDefaultIngress: true });
  });

  // argo-cd chart values: configs.params. argocd-apps chart values: applications.<name>.
  it("argo-cd: the release holds no Argo CD custom resource; the root Application has its own", () => {
    const { chart, values } = get("argo-cd");
    expect(chart.spec.targetNamespace).toBe("argocd");
    expect(values.configs.params["server.insecure"]).toBe(true);
    // The argo-cd chart creates Application/AppProject CRDs from templates: an Application in
    // the same release cannot be built, and the whole install fails on every retry.
    expect(values.extraObjects).toBeUndefined();

    const root = get("argocd-root");
    expect(root.chart.spec.chart).toBe("argocd-apps");
    expect(root.chart.spec.targetNamespace).toBe("argocd");
    expect(Object.keys(root.values).sort()).toEqual(["applications", "projects"]);
    const app = root.values.applications.root;
    expect(app.namespace).toBe("argocd");
    // Its own project, not `default` (any repository, any destination, every kind).
    expect(app.project).toBe("k3s-bot-root");
    expect(root.values.projects["k3s-bot-root"].sourceRepos).toEqual([
      "https://github.com/acme/clusters.git",
    ]);
    expect(app.source).toEqual({
      repoURL: "https://github.com/acme/clusters.git",
      targetRevision: "main",
      path: "clusters/prod/argocd",
    });
    expect(app.destination).toEqual({
      server: "https://kubernetes.default.svc",
      namespace: "argocd",
    });
    expect(app.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    // Without a repository: Argo CD alone, no root Application.
    const alone = charts(haParams({ gitops: undefined }));
    expect(alone.has("argo-cd")).toBe(true);
    expect(alone.has("argocd-root")).toBe(false);
  });

  // jenkins chart values: controller.JCasC.defaultConfig, controller.JCasC.configScripts,
  // controller.sidecars.configAutoReload.enabled, agent.enabled, persistence.storageClass.
  it("jenkins: Kubernetes cloud from JCasC, agents as pods, home on EFS", () => {
    const { values } = get("jenkins");
    expect(values.controller.JCasC.defaultConfig).toBe(true);
    expect(parse(values.controller.JCasC.configScripts["k3s-bot"]).jenkins.systemMessage).toContain(
      "prod",
    );
    expect(values.controller.sidecars.configAutoReload.enabled).toBe(true);
    expect(values.agent.enabled).toBe(true);
    expect(values.persistence.storageClass).toBe("efs");
    const noEfs = get("jenkins", haParams({ efsFileSystemId: undefined })).values;
    expect(noEfs.persistence.storageClass).toBe("");
  });
});
