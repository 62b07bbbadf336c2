/**
 * The add-on registry: every add-on k3s installs, one entry each (its own file in this folder),
 * in the order the servers write their manifests (helm-controller installs them side by side;
 * the order only keeps the user data stable). Adding an add-on is its file and its line here;
 * ./registry.ts derives from this list what the rest of the stack reads (docs/architecture.md,
 * "An add-on").
 */
import type { Addon } from "./addon";
import { argoCd } from "./argo-cd";
import { awsCloudControllerManager } from "./aws-cloud-controller-manager";
import { awsEfsCsiDriver } from "./aws-efs-csi-driver";
import { clusterAutoscaler } from "./cluster-autoscaler";
import { jenkins } from "./jenkins";
import { nginxIngress } from "./nginx-ingress";

export const ADDONS = [
  awsCloudControllerManager,
  awsEfsCsiDriver,
  clusterAutoscaler,
  nginxIngress,
  argoCd,
  jenkins,
] as const satisfies readonly Addon[];
