/**
 * Network load balancers: one for the Kubernetes API (kubectl, and nodes joining the cluster),
 * one for ingress to the workers.
 *
 * The seed pointed its worker load balancer at the kubelet port 10250, which exposes the
 * kubelet and serves no user; the ingress controller's NodePorts are the useful target.
 */

import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import { named } from "./addresses";
import { loadBalancerName, nameTag } from "./naming";
import { PORTS } from "./ports";

export interface LoadBalancingProps {
  /** Prefixes the load balancers' and target groups' names (32 characters at most in all). */
  clusterName: string;
  vpcId: string;
  /** `private`: the API load balancer is internal, in the private subnets. */
  apiEndpoint: "public" | "private";
  publicSubnetIds: string[];
  privateSubnetIds: string[];
  apiSecurityGroupId: string;
  /** The ingress load balancer's security group; without it, no ingress load balancer. */
  ingressSecurityGroupId?: string;
}

export class LoadBalancing extends Construct {
  readonly apiLoadBalancer: Lb;
  readonly apiTargetGroup: LbTargetGroup;
  readonly apiListener: LbListener;
  /** Absent when `addons.ingress` is `none`. */
  readonly ingress?: {
    loadBalancer: Lb;
    httpTargetGroup: LbTargetGroup;
    httpsTargetGroup: LbTargetGroup;
    listeners: LbListener[];
  };

  constructor(scope: Construct, id: string, props: LoadBalancingProps) {
    super(scope, id);
    const config = { name: props.clusterName };
    const privateApi = props.apiEndpoint === "private";

    this.apiLoadBalancer = new Lb(this, "api", {
      name: loadBalancerName(config, "api"),
      loadBalancerType: "network",
      internal: privateApi,
      subnets: privateApi ? props.privateSubnetIds : props.publicSubnetIds,
      // Only a load balancer created with a security group can ever have one; the group is what
      // limits the API to adminCidrs and the cluster's own nodes.
      securityGroups: [props.apiSecurityGroupId],
      // A server in one zone must stay reachable through any of the load balancer's addresses.
      enableCrossZoneLoadBalancing: true,
      tags: nameTag(config, "api"),
    });
    named(this.apiLoadBalancer, "api");

    this.apiTargetGroup = new LbTargetGroup(this, "api-targets", {
      name: loadBalancerName(config, "api"),
      port: PORTS.kubernetesApi,
      protocol: "TCP",
      targetType: "instance",
      vpcId: props.vpcId,
      // Servers join the cluster through this load balancer while being one of its targets.
      // With the client address preserved, a connection the load balancer sends back to the
      // instance it came from is dropped (NLB hairpinning); with it off, the target sees the
      // load balancer's address and the connection completes. The control-plane security group
      // allows the load balancer's group, so nothing is opened wider by this.
      preserveClientIp: "false",
      deregistrationDelay: "30",
      healthCheck: {
        enabled: true,
        // /ping, not /readyz: k3s runs the API server with anonymous auth off, so /readyz
        // answers 401 to a load balancer (k3s-io/k3s#3576) and every server would be marked
        // unhealthy and replaced in a loop (ELB health checks). k3s' supervisor answers /ping
        // on 6443 without credentials. Move to /readyz once the bootstrap enables anonymous
        // access for the health paths only (AuthenticationConfiguration, k3s-io/k3s#12276).
        protocol: "HTTPS",
        path: "/ping",
        port: "traffic-port",
        matcher: "200",
        interval: 10,
        timeout: 6,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
      tags: nameTag(config, "api"),
    });
    named(this.apiTargetGroup, "api");

    this.apiListener = new LbListener(this, "api-listener", {
      loadBalancerArn: this.apiLoadBalancer.arn,
      port: PORTS.kubernetesApi,
      protocol: "TCP",
      defaultAction: [{ type: "forward", targetGroupArn: this.apiTargetGroup.arn }],
      tags: nameTag(config, "api"),
    });
    named(this.apiListener, "api");

    if (props.ingressSecurityGroupId !== undefined) {
      const loadBalancer = new Lb(this, "ingress", {
        name: loadBalancerName(config, "ingress"),
        loadBalancerType: "network",
        internal: false,
        subnets: props.publicSubnetIds,
        securityGroups: [props.ingressSecurityGroupId],
        enableCrossZoneLoadBalancing: true,
        tags: nameTag(config, "ingress"),
      });
      named(loadBalancer, "ingress");
      const targetGroup = (what: "http" | "https", nodePort: number) => {
        const resource = new LbTargetGroup(this, `ingress-${what}-targets`, {
          name: loadBalancerName(config, `ing-${what}`),
          port: nodePort,
          protocol: "TCP",
          targetType: "instance",
          vpcId: props.vpcId,
          // Client addresses stay visible to the ingress controller (the instance target default,
          // written out). The worker group allows the load balancer's group, which admits the
          // traffic even with client IPs preserved (ELB guide, "Security groups for your Network
          // Load Balancer"); health checks obey the load balancer group's egress rules.
          preserveClientIp: "true",
          deregistrationDelay: "30",
          healthCheck: {
            enabled: true,
            protocol: "TCP",
            port: "traffic-port",
            interval: 10,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
          },
          tags: nameTag(config, `ingress-${what}`),
        });
        return named(resource, `ingress_${what}`);
      };
      const httpTargetGroup = targetGroup("http", PORTS.ingressHttpNodePort);
      const httpsTargetGroup = targetGroup("https", PORTS.ingressHttpsNodePort);
      const listeners = [
        { what: "http", port: PORTS.http, targets: httpTargetGroup },
        { what: "https", port: PORTS.https, targets: httpsTargetGroup },
      ].map(({ what, port, targets }) =>
        named(
          new LbListener(this, `ingress-listener-${port}`, {
            loadBalancerArn: loadBalancer.arn,
            port,
            // TCP pass-through: TLS ends at the ingress controller, which holds the certificates.
            protocol: "TCP",
            defaultAction: [{ type: "forward", targetGroupArn: targets.arn }],
            tags: nameTag(config, `ingress-${port}`),
          }),
          `ingress_${what}`,
        ),
      );
      this.ingress = { loadBalancer, httpTargetGroup, httpsTargetGroup, listeners };
    }
  }
}
