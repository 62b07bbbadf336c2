/**
 * The add-on HelmChart manifests a server writes to /var/lib/rancher/k3s/server/manifests/, from
 * the templates in ./manifests/ and the pins in ./charts.ts. k3s' helm-controller installs them
 * and retries until they converge. Templates use @@NAME@@ placeholders (not `${}` or `{{}}`,
 * which Terraform, JCasC and Helm would all read as their own syntax).
 */
import { readFileSync } from "node:fs";
import {
  CHARTS,
  type ChartPin,
  CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR,
  CLUSTER_AUTOSCALER_IMAGE_BY_MINOR,
} from "./charts";
import type { BootstrapParams } from "./user-data";

export interface RenderedManifest {
  /** File name under /var/lib/rancher/k3s/server/manifests/. */
  fileName: string;
  content: string;
}

const TEMPLATE_DIR = new URL("./manifests/", import.meta.url);

/** Which add-ons a cluster gets, each with its chart pin and template values. */
export function renderManifests(params: BootstrapParams): RenderedManifest[] {
  const common = { CLUSTER_NAME: params.clusterName, REGION: params.region };
  const out: RenderedManifest[] = [
    render("aws-cloud-controller-manager", CHARTS.awsCloudControllerManager, {
      ...common,
      CCM_IMAGE_TAG: cloudControllerManagerImageTag(params.k3sVersion),
    }),
  ];
  if (params.efsFileSystemId) {
    out.push(
      render("aws-efs-csi-driver", CHARTS.awsEfsCsiDriver, {
        ...common,
        EFS_FILE_SYSTEM_ID: params.efsFileSystemId,
      }),
    );
  }
  if (params.workers.scaling === "clusterAutoscaler") {
    const tag = autoscalerImageTag(params.k3sVersion);
    const manifest = render("cluster-autoscaler", CHARTS.clusterAutoscaler, {
      ...common,
      AUTOSCALER_IMAGE_TAG: tag,
    });
    // An empty image.tag would override the chart's default with nothing: drop the block.
    if (!tag) manifest.content = manifest.content.replace('    image:\n      tag: ""\n', "");
    out.push(manifest);
  }
  if (params.addons.ingress === "nginx") {
    out.push(render("nginx-ingress", CHARTS.nginxIngress, common));
  }
  if (params.addons.argocd) {
    out.push(render("argo-cd", CHARTS.argoCd, common));
    // Without a repository (the bot not configured with one) Argo CD is installed alone.
    if (params.gitops) {
      out.push(
        render("argocd-root", CHARTS.argoCdApps, {
          ...common,
          ARGOCD_REPO_URL: params.gitops.repoUrl,
          ARGOCD_PATH: params.gitops.path,
          ARGOCD_REVISION: params.gitops.revision,
        }),
      );
    }
  }
  if (params.addons.jenkins) {
    out.push(
      render("jenkins", CHARTS.jenkins, {
        ...common,
        // On EFS the controller's home survives the loss of the worker it ran on; local-path
        // (k3s' default) would tie it to one worker that scale-in may remove.
        JENKINS_STORAGE_CLASS: params.efsFileSystemId ? "efs" : "",
      }),
    );
  }
  return out;
}

/** The image matching the cluster's minor, or "" (empty keeps the chart's default). */
export function autoscalerImageTag(k3sVersion: string): string {
  const minor = k3sMinor(k3sVersion);
  return (minor && CLUSTER_AUTOSCALER_IMAGE_BY_MINOR[minor]) || "";
}

/**
 * The cloud-controller-manager image for the cluster's minor. Kubernetes' version skew policy
 * forbids a controller manager newer than the API server, so there is no fallback to the
 * chart's default (the newest Kubernetes); the definition rules refuse such a k3s version first.
 */
export function cloudControllerManagerImageTag(k3sVersion: string): string {
  const minor = k3sMinor(k3sVersion);
  const tag = minor ? CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR[minor] : undefined;
  if (!tag) throw new Error(`no cloud-controller-manager image pinned for k3s ${k3sVersion}`);
  return tag;
}

/** "v1.33.5+k3s1" -> "1.33". */
export function k3sMinor(k3sVersion: string): string | undefined {
  return /^v(\d+\.\d+)\./.exec(k3sVersion)?.[1];
}

function render(name: string, pin: ChartPin, values: Record<string, string>): RenderedManifest {
  const template = readFileSync(new URL(`${name}.yaml`, TEMPLATE_DIR), "utf8");
  const all: Record<string, string> = {
    CHART: pin.chart,
    REPO: pin.repo,
    VERSION: pin.version,
    ...values,
  };
  const content = template.replace(/@@([A-Z_]+)@@/g, (_, key: string) => {
    const value = all[key];
    if (value === undefined) throw new Error(`${name}.yaml: no value for @@${key}@@`);
    // Values land inside double-quoted YAML scalars or plain words; refuse anything that could
    // break out of them.
    if (/["\\\n]/.test(value)) throw new Error(`${name}.yaml: unsafe value for @@${key}@@`);
    return value;
  });
  return { fileName: `k3s-bot-${name}.yaml`, content };
}
