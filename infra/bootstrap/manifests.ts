/**
 * The add-on HelmChart manifests a server writes to /var/lib/rancher/k3s/server/manifests/, from
 * the templates in ./manifests/ and the pins in ./charts.ts. k3s' helm-controller installs them
 * and retries until they converge. Templates use @@NAME@@ placeholders (not `${}` or `{{}}`,
 * which Terraform, JCasC and Helm would all read as their own syntax).
 */
import { readFileSync } from "node:fs";
import { CHARTS, type ChartPin, CLUSTER_AUTOSCALER_IMAGE_BY_MINOR } from "./charts";
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
    render("aws-cloud-controller-manager", CHARTS.awsCloudControllerManager, common),
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
    const gitops = params.gitops ?? { repoUrl: "", path: "", revision: "" };
    const manifest = render("argo-cd", CHARTS.argoCd, {
      ...common,
      ARGOCD_REPO_URL: gitops.repoUrl,
      ARGOCD_PATH: gitops.path,
      ARGOCD_REVISION: gitops.revision,
    });
    // Without a repository (the bot not configured with one) Argo CD is installed without the
    // root Application; the template keeps extraObjects last so it can be cut off here.
    if (!params.gitops) {
      manifest.content = manifest.content.slice(
        0,
        manifest.content.indexOf("\n    extraObjects:\n") + 1,
      );
    }
    out.push(manifest);
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
  const minor = /^v(\d+\.\d+)\./.exec(k3sVersion)?.[1];
  return (minor && CLUSTER_AUTOSCALER_IMAGE_BY_MINOR[minor]) || "";
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
